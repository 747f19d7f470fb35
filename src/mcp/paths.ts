/**
 * Path containment for the MCP tools and the service: `repo_root` must be a git repository, and
 * every file argument must resolve inside it. Absolute paths elsewhere, `..`, symlinks that lead
 * out and anything under `.git/` are refused with a `ToolError` of type "path".
 */
import { existsSync, lstatSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { ToolError } from "./errors.js";

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * The repository root for a call: `requested` (absolute, or relative to `cwd`) or `cwd`, which
 * must be a directory with `.git` (a folder or a worktree's `.git` file). Returns the real path.
 * @throws ToolError("path") otherwise.
 */
export function resolveRepoRoot(requested: string | undefined, cwd: string): string {
  const candidate = resolve(cwd, requested ?? ".");
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    throw new ToolError(
      "path",
      `repo_root '${candidate}' does not exist`,
      "pass the absolute path of a git repository",
    );
  }
  if (!statSync(real).isDirectory())
    throw new ToolError(
      "path",
      `repo_root '${candidate}' is not a directory`,
      "pass the repository's top folder",
    );
  if (!existsSync(join(real, ".git")))
    throw new ToolError(
      "path",
      `repo_root '${candidate}' is not a git repository (no .git)`,
      "pass the top folder of a git repository (`git rev-parse --show-toplevel`)",
    );
  return real;
}

/**
 * A file argument as a repo-relative POSIX path, checked to stay inside `root` (a real path).
 * `field` names the argument in the message. Symlinks are followed for the part that exists.
 * @throws ToolError("path") for paths outside the repository or inside `.git/`.
 */
export function containedPath(root: string, input: string, field: string): string {
  const refuse = (why: string) =>
    new ToolError("path", `${field} '${input}' ${why}`, "pass a path inside repo_root, relative to it");
  if (typeof input !== "string" || input.trim() === "" || input.includes("\0")) throw refuse("is not a path");
  const absolute = resolve(root, input.trim());
  if (!inside(root, absolute)) throw refuse("is outside the repository");
  const rel = relative(root, absolute).split(sep).join("/");
  if (rel === "") throw refuse("is the repository itself, not a file");
  if (rel.split("/").some((part) => part === ".git")) throw refuse("is inside .git/");
  // Follow symlinks of the longest existing prefix: a link out of the repo is refused.
  let existing = absolute;
  while (!existsSync(existing)) {
    const parent = resolve(existing, "..");
    if (parent === existing) break;
    existing = parent;
  }
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    throw refuse("cannot be resolved");
  }
  if (!inside(root, real)) throw refuse("leads outside the repository through a symlink");
  if (relative(root, real).split(sep).includes(".git")) throw refuse("is inside .git/");
  if (existing === absolute && lstatSync(absolute).isDirectory()) throw refuse("is a directory, not a file");
  return rel;
}
