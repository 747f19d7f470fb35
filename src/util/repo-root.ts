/** Finds the repository root (the nearest folder with a `.git`) from a starting folder. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export function findRepoRoot(start: string): string | null {
  let current = resolve(start);
  for (;;) {
    if (existsSync(join(current, ".git"))) return current;
    const parent = dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

/**
 * The hint for "verification needs a git repository with at least one commit": in a repository
 * that exists but has no commit yet, to commit first (`git init` would be beside the point);
 * elsewhere, to create one.
 */
export function noCommitHint(folder: string): string {
  const root = findRepoRoot(folder);
  return root
    ? `commit first: \`git add -A && git commit -m init\` in ${root}, or drop --verify`
    : "run `git init && git add -A && git commit -m init` first, or drop --verify";
}
