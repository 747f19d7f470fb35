/**
 * Secrets and size: secrets a draft adds (gitleaks' rule set, see secret-scan.ts), and blobs too
 * large or too long-lined to be hand-written code. Only added lines count, so a key that was
 * already in the file is not re-reported on every draft.
 */
import type { ChangedFile, CheckFinding } from "../pipeline/hooks.js";
import { scanSecrets } from "./secret-scan.js";

export { shannonEntropy } from "./secret-scan.js";

/** Lines of `after` not present in `before` (as a multiset), with 1-based line numbers. */
export function addedLines(before: string | null, after: string): Array<{ line: number; text: string }> {
  const remaining = new Map<string, number>();
  for (const line of (before ?? "").split("\n")) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  const added: Array<{ line: number; text: string }> = [];
  after.split("\n").forEach((text, index) => {
    const left = remaining.get(text) ?? 0;
    if (left > 0) remaining.set(text, left - 1);
    else added.push({ line: index + 1, text });
  });
  return added;
}

/** Heuristic rules (a key-like name, a literal value): a warning the reviewer weighs. */
const heuristicRules = new Set(["generic-api-key", "password-assignment", "password-env-assignment"]);

/**
 * Secrets a draft adds, found by the ported gitleaks/secretlint rule set (secret-scan.ts) in the
 * new content and kept when they start on an added line and the file did not already hold that
 * secret (an edit to a line that carries an existing key adds no credential). Known credential formats are errors
 * (the draft goes back to the drafter); the heuristic rules are warnings. Messages name the rule,
 * never the value.
 */
export function checkSecrets(changes: ChangedFile[]): CheckFinding[] {
  const findings: CheckFinding[] = [];
  for (const change of changes) {
    if (change.after === null) continue;
    const added = new Set(addedLines(change.before, change.after).map(({ line }) => line));
    if (added.size === 0) continue;
    for (const finding of scanSecrets(change.after, { path: change.file })) {
      if (!added.has(finding.line)) continue;
      if (change.before?.includes(finding.secret)) continue;
      const heuristic = heuristicRules.has(finding.ruleId);
      findings.push({
        check: "secret",
        severity: heuristic ? "warning" : "error",
        file: change.file,
        line: finding.line,
        message: heuristic
          ? `assigns what looks like a secret literal (${finding.ruleId}); read it from the environment instead`
          : `adds what looks like a credential (${finding.ruleId}); secrets belong in the environment or a secret store, not in code`,
      });
    }
  }
  return findings;
}

export interface SizeLimits {
  /** A file that grows past this many bytes is flagged. */
  maxFileBytes: number;
  /** An added line longer than this is flagged (minified code, embedded data). */
  maxLineLength: number;
}

export const defaultSizeLimits: SizeLimits = { maxFileBytes: 200_000, maxLineLength: 1_000 };

export function checkSize(changes: ChangedFile[], limits: SizeLimits = defaultSizeLimits): CheckFinding[] {
  const findings: CheckFinding[] = [];
  for (const change of changes) {
    if (change.after === null) continue;
    const size = Buffer.byteLength(change.after);
    const beforeSize = change.before === null ? 0 : Buffer.byteLength(change.before);
    if (size > limits.maxFileBytes && size > beforeSize) {
      findings.push({
        check: "size",
        severity: "warning",
        file: change.file,
        message: `the file grows to ${Math.round(size / 1024)} KiB; a very large blob is unlikely to be hand-written code`,
      });
    }
    const long = addedLines(change.before, change.after).find(
      ({ text }) => text.length > limits.maxLineLength,
    );
    if (long) {
      const blob = /[A-Za-z0-9+/=_-]{200,}/.test(long.text);
      findings.push({
        check: "size",
        severity: "warning",
        file: change.file,
        line: long.line,
        message: blob
          ? `adds an embedded blob (${long.text.length} characters on one line); keep data out of source files`
          : `adds a ${long.text.length}-character line (minified or generated content?)`,
      });
    }
  }
  return findings;
}
