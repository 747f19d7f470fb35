/**
 * The run's audit log: append-only JSON Lines in `.haco/logs/<run-id>.jsonl` (or the state
 * folder). Each record is one synchronous append, so a Ctrl-C or a kill leaves every earlier
 * line intact; a torn last line is ignored when reading. Secrets are redacted before writing.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stateDir } from "../config/paths.js";

export interface RunLogEntry {
  type: string;
  at?: number;
  [key: string]: unknown;
}

type Env = Record<string, string | undefined>;

export function newRunId(now: number = Date.now()): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

export function runLogDirectory(options: {
  repoRoot: string;
  location: "repo" | "state";
  env?: Env;
}): string {
  return options.location === "state"
    ? join(stateDir(options.env), "logs")
    : join(options.repoRoot, ".haco", "logs");
}

/**
 * Keeps the in-repo logs out of git: `.haco/.gitignore` ignores everything under `.haco`, so
 * `git status` stays clean and `git add -A` never commits prompts.
 */
export function ignoreLogFolder(repoRoot: string): void {
  const file = join(repoRoot, ".haco", ".gitignore");
  if (existsSync(file)) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, "# hierocode run logs (prompts, replies, diffs); not for version control\n*\n");
}

/** Finds the log of `runId` in the repo or the state folder. */
export function findRunLog(options: { repoRoot: string; runId: string; env?: Env }): string | undefined {
  if (!/^[\w.-]+$/.test(options.runId)) return undefined;
  for (const location of ["repo", "state"] as const) {
    const file = join(runLogDirectory({ ...options, location }), `${options.runId}.jsonl`);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** The log's redactor lives with the secret scanner (src/checks/redact.ts). */
export { createRedactor } from "../checks/redact.js";

function redactDeep(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item, redact);
    return out;
  }
  return value;
}

export interface RunLog {
  file: string;
  append(record: RunLogEntry): void;
}

export function openRunLog(
  file: string,
  options: { redact?: (text: string) => string; now?: () => number } = {},
): RunLog {
  mkdirSync(dirname(file), { recursive: true });
  const redact = options.redact ?? ((text: string) => text);
  const now = options.now ?? Date.now;
  return {
    file,
    append(record) {
      const line = JSON.stringify(redactDeep({ at: now(), ...record }, redact));
      appendFileSync(file, `${line}\n`);
    },
  };
}

/** Reads every complete record; a partially written last line (killed mid-write) is skipped. */
export function readRunLog(file: string): RunLogEntry[] {
  const records: RunLogEntry[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      records.push(JSON.parse(line) as RunLogEntry);
    } catch {
      // torn final line from an interrupted write
    }
  }
  return records;
}
