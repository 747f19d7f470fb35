/**
 * Secrets and size: lines a draft adds that look like credentials, and blobs too large or too
 * long-lined to be hand-written code. Only added lines are examined, so a key that was already
 * in the file is not re-reported on every draft.
 */
import type { ChangedFile, CheckFinding } from "../pipeline/hooks.js";

interface SecretPattern {
  name: string;
  pattern: RegExp;
  severity: "error" | "warning";
}

const secretPatterns: SecretPattern[] = [
  { name: "a private key", pattern: /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----/, severity: "error" },
  {
    name: "an AWS access key id",
    pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/,
    severity: "warning",
  },
  {
    name: "a GitHub token",
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/,
    severity: "warning",
  },
  { name: "an API key (sk-…)", pattern: /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}/, severity: "warning" },
  { name: "a Slack token", pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/, severity: "warning" },
  { name: "a Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/, severity: "warning" },
];

const assignmentPattern =
  /\b[\w.-]*(?:api[_-]?key|secret|token|passw(?:or)?d|access[_-]?key|private[_-]?key|client[_-]?secret|auth)[\w.-]*["']?\s*[:=]{1,2}\s*["'`]([^"'`\s]{16,})["'`]/i;

/** `.env`-style and YAML assignments without quotes; only mixed letters+digits count (not identifiers). */
const bareAssignmentPattern =
  /^\s*(?:export\s+)?[\w.-]*(?:api[_-]?key|secret|token|passw(?:or)?d|access[_-]?key|client[_-]?secret)[\w.-]*\s*[:=]\s*([A-Za-z0-9+/_=.-]{16,})\s*$/i;

function secretValue(line: string): string | undefined {
  const quoted = assignmentPattern.exec(line)?.[1];
  if (quoted) return quoted;
  const bare = bareAssignmentPattern.exec(line)?.[1];
  return bare && /\d/.test(bare) && /[A-Za-z]/.test(bare) ? bare : undefined;
}

const placeholderPattern =
  /x{4,}|\*{3,}|example|your[_-]|changeme|placeholder|dummy|<|>|\$\{|\{\{|process\.env|os\.environ|getenv/i;

/** Bits per character; random keys score well above 3.5, words and identifiers below. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const probability = count / text.length;
    entropy -= probability * Math.log2(probability);
  }
  return entropy;
}

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

export function checkSecrets(changes: ChangedFile[]): CheckFinding[] {
  const findings: CheckFinding[] = [];
  for (const change of changes) {
    if (change.after === null) continue;
    for (const { line, text } of addedLines(change.before, change.after)) {
      const known = secretPatterns.find((candidate) => candidate.pattern.test(text));
      if (known) {
        findings.push({
          check: "secret",
          severity: known.severity,
          file: change.file,
          line,
          message: `adds what looks like ${known.name}; secrets belong in the environment or a secret store, not in code`,
        });
        continue;
      }
      const value = secretValue(text);
      if (value && !placeholderPattern.test(value) && shannonEntropy(value) >= 3.5) {
        findings.push({
          check: "secret",
          severity: "warning",
          file: change.file,
          line,
          message:
            "assigns a high-entropy literal to a key/secret/token name; read it from the environment instead",
        });
      }
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
