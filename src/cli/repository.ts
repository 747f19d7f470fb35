/**
 * The repository a command works on: the git repository containing `--repo DIR` (relative to the
 * current folder) or, without the flag, the current folder. UsageError (exit 2) when there is none.
 * Every command that works on a repository first finishes or rolls back a write a killed
 * hierocode left behind there (see src/edits/journal.ts), and says which it did; verify
 * sandboxes and test processes a killed run left behind are removed too.
 */
import { lstatSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { recoverRepository } from "../app/recover.js";
import { checkRelativePath } from "../edits/path-rules.js";
import { HierocodeError, UsageError } from "../errors.js";
import { findRepoRoot } from "../util/repo-root.js";
import type { CliContext } from "./context.js";

export function repositoryFor(context: CliContext, flag: string | undefined): string {
  const root = locateRepository(context, flag);
  for (const line of recoverRepository(root, context.env)) context.output.warn(line);
  return root;
}

/**
 * The same repository as `repositoryFor`, without finishing interrupted writes (for commands that
 * only read, like `doctor`). UsageError (exit 2) when `--repo` is not a folder or not in git.
 */
export function locateRepository(context: CliContext, flag: string | undefined): string {
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

/**
 * The `--file F` of `draft` and `review`: F relative to the current folder (like every path the
 * CLI takes), as a repository-relative path with `/` separators. UsageError (exit 2), before any
 * model is called, when F leaves the repository (also through a symlink), lies in `.git/`, names a
 * folder, or — with `mustExist` — does not exist. A file that does not exist yet is fine for a
 * draft (it creates it).
 */
export function targetFileFromCwd(
  context: CliContext,
  repoRoot: string,
  path: string,
  flag: string,
  options: { mustExist: boolean },
): string {
  const inside = repoPathFromCwd(context, repoRoot, path, flag);
  try {
    checkRelativePath(inside);
  } catch (error) {
    if (!(error instanceof HierocodeError)) throw error;
    throw new UsageError(`${flag} ${path}: ${error.message}`, {
      hint: "name a file of the repository, outside .git/",
    });
  }
  const target = resolve(context.cwd, path);
  const link = lstatSync(target, { throwIfNoEntry: false });
  // The file itself when it exists (a symlink is followed), else the nearest folder that exists.
  let existing = link ? target : dirname(target);
  while (!lstatSync(existing, { throwIfNoEntry: false })) existing = dirname(existing);
  let real: string | undefined;
  try {
    real = realpathSync(existing);
  } catch {
    real = undefined; // a dangling symlink: refused below as missing, or drafted as a new file's link
  }
  const realRoot = realpathSync(repoRoot);
  if (real !== undefined && real !== realRoot && !real.startsWith(`${realRoot}${sep}`))
    throw new UsageError(`${flag} ${path} leads out of the repository (through a symlink, to ${real})`, {
      hint: "name a file inside the repository",
    });
  const stat = statSync(target, { throwIfNoEntry: false });
  if (stat?.isDirectory())
    throw new UsageError(`${flag} ${path} is a folder`, {
      hint: "name one file (relative to the current folder)",
    });
  if (!stat && options.mustExist)
    throw new UsageError(`${flag} ${path} does not exist`, {
      hint: `paths are relative to the current folder (${context.cwd})`,
    });
  return inside;
}
