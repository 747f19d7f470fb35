/** The repository a command works on: `--repo DIR`, or the git repository containing the cwd. */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { findRepoRoot } from "../util/repo-root.js";
import type { CliContext } from "./context.js";

export function repositoryFor(context: CliContext, flag: string | undefined): string {
  if (flag !== undefined) {
    const root = resolve(context.cwd, flag);
    let isFolder = false;
    try {
      isFolder = statSync(root).isDirectory();
    } catch {
      isFolder = false;
    }
    if (!isFolder) throw new UsageError(`--repo ${flag} is not a folder`);
    return root;
  }
  const found = findRepoRoot(context.cwd);
  if (!found) {
    throw new UsageError("not inside a git repository", {
      hint: "run it inside the repository or pass --repo DIR",
    });
  }
  return found;
}
