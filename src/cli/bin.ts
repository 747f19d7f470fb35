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
// Cache V8's compiled code of the CLI and its dependencies between runs (Node.js module compile
// cache, node:module enableCompileCache, stable since 22.1): start-up skips recompiling them.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off; NODE_COMPILE_CACHE=dir moves it.
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();
const { main } = await import("./main.js");
await main(process.argv.slice(2));
