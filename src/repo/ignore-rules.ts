/**
 * Git-style ignore rules for the repository walk: `.git/info/exclude`, then every `.gitignore`
 * and `.ignore` from the root down to the folder in question. Deeper files win over shallower
 * ones and `.ignore` wins over `.gitignore` in the same folder (ripgrep's precedence), so a
 * verdict is the last rule set that has an opinion about the path.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ignore, { type Ignore } from "ignore";

interface RuleSet {
  /** Folder the rules belong to, repo-relative with a trailing slash ("" for the root). */
  base: string;
  rules: Ignore;
}

export type IgnoreStack = readonly RuleSet[];

function readRules(file: string): Ignore | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  if (text.trim() === "") return null;
  return ignore({ allowRelativePaths: true }).add(text);
}

/** Rules that apply at the repository root: `.git/info/exclude` plus the root ignore files. */
export function rootIgnoreStack(repoRoot: string): IgnoreStack {
  const stack: RuleSet[] = [];
  const exclude = readRules(join(repoRoot, ".git", "info", "exclude"));
  if (exclude) stack.push({ base: "", rules: exclude });
  return withFolderRules(stack, repoRoot, "");
}

/** Adds the `.gitignore` and `.ignore` of `relativeDir` (repo-relative, "" for the root). */
export function withFolderRules(stack: IgnoreStack, repoRoot: string, relativeDir: string): IgnoreStack {
  const absolute = relativeDir === "" ? repoRoot : join(repoRoot, relativeDir);
  const base = relativeDir === "" ? "" : `${relativeDir}/`;
  const added: RuleSet[] = [];
  for (const name of [".gitignore", ".ignore"]) {
    const rules = readRules(join(absolute, name));
    if (rules) added.push({ base, rules });
  }
  return added.length === 0 ? stack : [...stack, ...added];
}

/**
 * Whether a repo-relative path is ignored. Folders must be passed with a trailing slash so that
 * folder-only patterns (`build/`) match them.
 */
export function isIgnored(stack: IgnoreStack, relativePath: string): boolean {
  let ignored = false;
  for (const set of stack) {
    if (!relativePath.startsWith(set.base)) continue;
    const local = relativePath.slice(set.base.length);
    if (local === "") continue;
    const result = set.rules.test(local);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/** Caller-supplied patterns, with the lowest precedence (like `.git/info/exclude`). */
export function withExtraRules(stack: IgnoreStack, patterns: string[]): IgnoreStack {
  if (patterns.length === 0) return stack;
  return [{ base: "", rules: ignore({ allowRelativePaths: true }).add(patterns) }, ...stack];
}
