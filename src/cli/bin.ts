#!/usr/bin/env node
/**
 * The `hierocode` binary. Its only static import is the dependency-free version check: on a
 * Node.js too old for the tool or its dependencies it prints one line and exits 1 before any
 * module that could fail to load is read; otherwise it runs the CLI (main.ts).
 */
import { nodeVersionProblem } from "./node-floor.js";

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  process.stderr.write(`error: ${problem}\n`);
  process.exit(1);
}
const { main } = await import("./main.js");
await main(process.argv.slice(2));
