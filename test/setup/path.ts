/**
 * npm and npx put this project's node_modules/.bin on PATH. Since the real `claude` and `codex`
 * are devDependencies (for the contract tests), tests would otherwise find them there, as no
 * user does. Tests that want them use their path explicitly (node_modules/.bin/claude).
 */
import { delimiter, resolve } from "node:path";

const projectBin = resolve(import.meta.dirname, "../../node_modules/.bin");
process.env.PATH = (process.env.PATH ?? "")
  .split(delimiter)
  .filter((entry) => resolve(entry) !== projectBin)
  .join(delimiter);
