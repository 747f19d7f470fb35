/**
 * The repository a command works on: the git repository containing `--repo DIR` (relative to the
 * current folder) or, without the flag, the current folder. UsageError (exit 2) when there is none.
 * Every command that works on a repository first finishes or rolls back a write a killed
 * hierocode left behind there (see src/edits/journal.ts), and says which it did; verify
 * sandboxes and test processes a killed run left behind are removed too.
 */
import { statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { recoverRepository } from "../app/recover.js";
import { UsageError } from "../errors.js";
import { findRepoRoot } from "../util/repo-root.js";
import type { CliContext } from "./context.js";

export function repositoryFor(context: CliContext, flag: string | undefined): string {
  const root = locateRepository(context, flag);
  for (const line of recoverRepository(root, context.env)) context.output.warn(line);
  return root;
}

function locateRepository(context: CliContext, flag: string | undefined): string {
  if (flag !== undefined) {
    const root = resolve(context.cwd, flag);
    let isFolder = false;
    try {
      isFolder = statSync(root).isDirectory();
    } catch {
      isFolder = false;
    }
    if (!isFolder)
      throw new UsageError(`--repo ${flag} is not a folder`, {
        hint: "pass the folder of a git repository (relative to the current folder)",
      });
    // Runs keep logs and state in the repository (.haco/) and verify in git worktrees: a folder
    // outside any git repository is refused rather than written to.
    const found = findRepoRoot(root);
    if (!found)
      throw new UsageError(`--repo ${flag} is not inside a git repository`, {
        hint: `run git init in ${root} first (hierocode works on git repositories)`,
      });
    return found;
  }
  const found = findRepoRoot(context.cwd);
  if (!found) {
    throw new UsageError("not inside a git repository", {
      hint: "run it inside the repository or pass --repo DIR",
    });
  }
  return found;
}

/**
 * A path the user typed (relative to the current folder, like every path the CLI takes) as a
 * repository-relative path with `/` separators. UsageError when it leaves the repository.
 */
export function repoPathFromCwd(context: CliContext, repoRoot: string, path: string, flag: string): string {
  const inside = relative(repoRoot, resolve(context.cwd, path)).split("\\").join("/");
  if (inside === "" || inside === ".." || inside.startsWith("../") || isAbsolute(inside))
    throw new UsageError(`${flag} ${path} is not a file inside the repository ${repoRoot}`, {
      hint: `paths are relative to the current folder (${context.cwd})`,
    });
  return inside;
}
