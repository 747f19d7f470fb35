/**
 * GitHub Linguist's overrides from `.gitattributes`: paths marked `linguist-generated` or
 * `linguist-vendored` (set with the bare name or `=true`, unset with `-name`, `!name` or
 * `=false`). Each folder's file applies to its subtree; later lines and deeper files win, as in
 * git (gitattributes(5)). Patterns are matched with the `ignore` library, whose gitignore
 * semantics are the ones gitattributes patterns use (minus negation, which gitattributes forbids).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ignore, { type Ignore } from "ignore";

interface AttributeRule {
  /** Folder the rule belongs to, repo-relative with a trailing slash ("" for the root). */
  base: string;
  matcher: Ignore;
  attribute: "generated" | "vendored";
  value: boolean;
}

export type AttributeStack = readonly AttributeRule[];

const attributeNames: Record<string, AttributeRule["attribute"]> = {
  "linguist-generated": "generated",
  "linguist-vendored": "vendored",
};

function parseAttribute(token: string): { attribute: AttributeRule["attribute"]; value: boolean } | null {
  let name = token;
  let value = true;
  if (name.startsWith("-") || name.startsWith("!")) {
    name = name.slice(1);
    value = false;
  }
  const equals = name.indexOf("=");
  if (equals >= 0) {
    value = value && name.slice(equals + 1).toLowerCase() !== "false";
    name = name.slice(0, equals);
  }
  const attribute = attributeNames[name];
  return attribute ? { attribute, value } : null;
}

/** Adds the rules of `relativeDir/.gitattributes` (repo-relative, "" for the root). */
export function withFolderAttributes(
  stack: AttributeStack,
  repoRoot: string,
  relativeDir: string,
): AttributeStack {
  let text: string;
  try {
    text = readFileSync(join(repoRoot, relativeDir, ".gitattributes"), "utf8");
  } catch {
    return stack;
  }
  const base = relativeDir === "" ? "" : `${relativeDir}/`;
  const added: AttributeRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [pattern, ...tokens] = line.split(/\s+/);
    if (!pattern || pattern.startsWith("!")) continue;
    for (const token of tokens) {
      const parsed = parseAttribute(token);
      if (!parsed) continue;
      added.push({ base, matcher: ignore({ allowRelativePaths: true }).add(pattern), ...parsed });
    }
  }
  return added.length === 0 ? stack : [...stack, ...added];
}

/** `generated`, `vendored` or null for a repo-relative file path. */
export function linguistKind(stack: AttributeStack, relativePath: string): "generated" | "vendored" | null {
  let generated = false;
  let vendored = false;
  for (const rule of stack) {
    if (!relativePath.startsWith(rule.base)) continue;
    const local = relativePath.slice(rule.base.length);
    if (local === "" || !rule.matcher.ignores(local)) continue;
    if (rule.attribute === "generated") generated = rule.value;
    else vendored = rule.value;
  }
  return generated ? "generated" : vendored ? "vendored" : null;
}
