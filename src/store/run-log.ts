/**
 * The run's audit log: append-only JSON Lines in `.haco/logs/<run-id>.jsonl` (or the state
 * folder). Each record is one synchronous append, so a Ctrl-C or a kill leaves every earlier
 * line intact; a torn last line is ignored when reading. Secrets are redacted before writing.
 */
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { stateDir } from "../config/paths.js";
import { writeFileAtomic } from "../util/atomic-write.js";

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

/**
 * The newest run IDs with a log in the repo or the state folder, newest first (run IDs begin with
 * their UTC start time, `YYYYMMDD-HHMMSS-xxxxxx`, so name order is time order); at most `limit`.
 */
export function recentRunIds(options: { repoRoot: string; env?: Env; limit?: number }): string[] {
  const ids = new Set<string>();
  for (const location of ["repo", "state"] as const) {
    let names: string[] = [];
    try {
      names = readdirSync(runLogDirectory({ ...options, location }));
    } catch {
      continue; // no log folder there yet
    }
    for (const name of names) if (name.endsWith(".jsonl")) ids.add(name.slice(0, -".jsonl".length));
  }
  return [...ids]
    .sort()
    .reverse()
    .slice(0, options.limit ?? 5);
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

/**
 * Where a run keeps the exact bytes of its accepted changes for `--resume`:
 * `<state>/runs/<run-id>/` (mode 0700). The JSONL log holds redacted text for reading; replay
 * reads these files, never the log's placeholders.
 */
export function exactChangesFolder(runId: string, env: Env = process.env): string {
  return join(stateDir(env), "runs", runId);
}

/** The exact `changes` (and `result.changes`) of one log record, by its `exactChanges` number. */
export interface ExactChanges {
  changes: unknown;
  resultChanges?: unknown;
}

function nextExactNumber(folder: string): number {
  try {
    let highest = 0;
    for (const name of readdirSync(folder)) {
      const match = /^(\d+)\.json$/.exec(name);
      if (match) highest = Math.max(highest, Number(match[1]));
    }
    return highest + 1;
  } catch {
    return 1;
  }
}

/**
 * Reads the exact changes a log record points to (`exactChanges: n`). Throws when they are
 * missing or unreadable: replaying redacted text would write placeholders into source code.
 */
export function readExactChanges(folder: string, number: number): ExactChanges {
  const file = join(folder, `${number}.json`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ExactChanges;
  } catch (error) {
    throw new Error(`the exact changes ${file} cannot be read (${(error as Error).message})`);
  }
}

/**
 * Opens (creating it) a run's JSONL log. Every string is redacted before it is written; records
 * carrying `changes` (accepted edits) also get their exact, unredacted changes stored under
 * `exactFolder` (atomic write, mode 0600), referenced from the record as `exactChanges: n`.
 */
export function openRunLog(
  file: string,
  options: { redact?: (text: string) => string; now?: () => number; exactFolder?: string } = {},
): RunLog {
  mkdirSync(dirname(file), { recursive: true });
  const redact = options.redact ?? ((text: string) => text);
  const now = options.now ?? Date.now;
  const exactFolder = options.exactFolder;
  let exactNumber = exactFolder ? nextExactNumber(exactFolder) : 0;
  return {
    file,
    append(input) {
      let record = input;
      const resultChanges = (input.result as { changes?: unknown } | undefined)?.changes;
      if (
        exactFolder &&
        Array.isArray(input.changes) &&
        (input.changes.length > 0 || (Array.isArray(resultChanges) && resultChanges.length > 0))
      ) {
        mkdirSync(exactFolder, { recursive: true, mode: 0o700 });
        const number = exactNumber++;
        const exact: ExactChanges = { changes: input.changes, ...(resultChanges ? { resultChanges } : {}) };
        writeFileAtomic(join(exactFolder, `${number}.json`), JSON.stringify(exact), { mode: 0o600 });
        record = { ...input, exactChanges: number };
      }
      const line = JSON.stringify(redactDeep({ at: now(), ...record }, redact));
      // After a torn write (killed mid-append) the file ends without a newline: start on a fresh
      // line, so the torn fragment stays alone on its line and this record stays readable.
      appendFileSync(file, `${endsMidLine(file) ? "\n" : ""}${line}\n`);
    },
  };
}

/** True when the file exists, is not empty and its last byte is not a newline. */
function endsMidLine(file: string): boolean {
  let descriptor: number;
  try {
    descriptor = openSync(file, "r");
  } catch {
    return false;
  }
  try {
    const size = fstatSync(descriptor).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(descriptor, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Reads every complete record. A torn line (killed mid-write) is skipped wherever it is, and a
 * record that was appended onto a torn line by an older version is recovered from that line.
 */
export function readRunLog(file: string): RunLogEntry[] {
  const records: RunLogEntry[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      records.push(JSON.parse(line) as RunLogEntry);
    } catch {
      // A torn fragment, possibly with a whole record glued to its end: keep the record.
      const start = line.lastIndexOf('{"at":');
      if (start > 0) {
        try {
          records.push(JSON.parse(line.slice(start)) as RunLogEntry);
        } catch {
          // only the torn fragment
        }
      }
    }
  }
  return records;
}
