/**
 * The write-ahead journal behind every multi-file write to a user's repository. A change set is
 * applied in three recorded steps so that a SIGKILL at any instant leaves something the next
 * hierocode command in that repository can finish or undo:
 *
 * 1. `preparing` — the journal (`<state>/journal/<repo key>/<id>/journal.json`) names every
 *    target, the temp file beside it and the folders to create, and holds a copy of every
 *    original (packed in `pre.bin`, one fsync for all), before anything in the repository is touched. Temps are then written
 *    and fsynced. A crash here rolls back: temps and created folders are removed.
 * 2. `committing` — recorded once every temp is complete; then each temp is renamed over its
 *    target (deletions unlink). A crash here rolls forward: the remaining temps are renamed.
 *    If that is impossible (a temp is gone and its target is not the new content) the whole set
 *    is rolled back from the saved originals instead.
 * 3. done — the journal folder is removed.
 *
 * A failure inside the process (disk full, permission) rolls back at once (`rolling-back` is
 * recorded first, so a crash during the rollback finishes it). No `.orig` files are used.
 *
 * Fault injection for tests: `HIEROCODE_FAULT_AT=<n>` makes the process SIGKILL itself at the
 * n-th journal step (1-based); in-process tests pass `onStep` and throw `SimulatedCrash`.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { stateDir } from "../config/paths.js";

type Env = Record<string, string | undefined>;

/** One file of a journalled change set. */
export interface JournalEntry {
  /** Repository-relative path (for messages). */
  file: string;
  /** Absolute target path. */
  path: string;
  /** Absolute temp path beside the target (new content), or null for a deletion. */
  temp: string | null;
  /** sha256 (hex) of the new bytes, null for a deletion. */
  afterHash: string | null;
  /** Where the saved original lies in `pre.bin` (bytes), null when the file did not exist. */
  pre: { offset: number; length: number } | null;
  /** sha256 of the original bytes, null when the file did not exist. */
  preHash: string | null;
  mode: number;
}

export type JournalState = "preparing" | "committing" | "rolling-back";

export interface Journal {
  version: 1;
  id: string;
  pid: number;
  startedAt: number;
  repoRoot: string;
  state: JournalState;
  entries: JournalEntry[];
  /** Folders this write creates, outermost first (removed again on rollback when empty). */
  createdFolders: string[];
}

/** What recovery did with one interrupted write. */
export interface RecoveryReport {
  id: string;
  startedAt: number;
  action: "completed" | "rolled back";
  files: string[];
  /** Stale temp files removed. */
  removedTemps: number;
  /** Temp files renamed into place to complete the write. */
  placedTemps?: number;
}

/** Thrown by an `onStep` hook in tests to stop a write exactly where a SIGKILL would. */
export class SimulatedCrash extends Error {
  constructor(step: number) {
    super(`simulated crash at journal step ${step}`);
    this.name = "SimulatedCrash";
  }
}

export interface JournalHooks {
  /** Called before each step that changes the disk (1-based count). */
  onStep?: (step: number) => void;
  /** Rename used to place temps (tests make it fail). */
  rename?: (from: string, to: string) => void;
}

/** The folder holding the journals of one repository: `<state>/journal/<sha256(real root)[:16]>`. */
export function journalFolder(repoRoot: string, env: Env = process.env): string {
  let root = repoRoot;
  try {
    root = realpathSync(repoRoot);
  } catch {
    // a missing repository still gets a stable key
  }
  const key = createHash("sha256").update(root).digest("hex").slice(0, 16);
  return join(stateDir(env), "journal", key);
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A temp name beside `target`, recognisable as hierocode's (`.<name>.hc-<id>.tmp`). */
export function journalTempPath(target: string, id: string, index: number): string {
  return join(dirname(target), `.${basename(target)}.hc-${id}-${index}.tmp`);
}

function writeDurably(path: string, bytes: Uint8Array, mode = 0o600, exclusive = false): void {
  const descriptor = openSync(path, exclusive ? "wx" : "w", mode);
  try {
    writeFully(descriptor, bytes);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

function writeFully(descriptor: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(descriptor, bytes, done, bytes.length - done);
}

/** The saved original of one entry, read from `pre.bin`. */
function readPre(folder: string, pre: { offset: number; length: number }): Buffer {
  const bytes = Buffer.alloc(pre.length);
  const descriptor = openSync(join(folder, "pre.bin"), "r");
  try {
    let done = 0;
    while (done < pre.length) {
      const read = readSync(descriptor, bytes, done, pre.length - done, pre.offset + done);
      if (read === 0) throw new Error("the journal's saved originals are truncated");
      done += read;
    }
  } finally {
    closeSync(descriptor);
  }
  return bytes;
}

function fsyncFolder(path: string): void {
  try {
    const descriptor = openSync(path, "r");
    try {
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  } catch {
    // not supported everywhere; the rename order still holds against a process kill
  }
}

/** Replaces journal.json atomically (temp + rename inside the journal folder). */
function saveJournal(folder: string, journal: Journal): void {
  const temp = join(folder, `journal.json.${randomBytes(4).toString("hex")}.tmp`);
  writeDurably(temp, Buffer.from(JSON.stringify(journal)));
  renameSync(temp, join(folder, "journal.json"));
  fsyncFolder(folder);
}

function faultStep(): number | undefined {
  const value = process.env.HIEROCODE_FAULT_AT;
  if (!value) return undefined;
  const step = Number.parseInt(value, 10);
  return Number.isFinite(step) && step > 0 ? step : undefined;
}

function quietly(action: () => void): void {
  try {
    action();
  } catch {
    // best effort: recovery continues with the other files
  }
}

function hashOf(path: string): string | null {
  try {
    if (!lstatSync(path).isFile()) return null;
    return sha256(readFileSync(path));
  } catch {
    return null;
  }
}

/** One planned file write: where, what, and the original bytes (null when the file is new). */
export interface PlannedWrite {
  file: string;
  path: string;
  after: Uint8Array | null;
  original: Uint8Array | null;
  mode: number;
}

/**
 * Applies `writes` through a journal under the state folder (see the module comment). Throws the
 * original error after rolling back when something fails in-process; a `SimulatedCrash` from
 * `hooks.onStep` propagates with nothing cleaned up, exactly like a kill.
 */
export function journalledWrite(
  repoRoot: string,
  writes: PlannedWrite[],
  options: { env?: Env; hooks?: JournalHooks; foldersToCreate: string[] },
): void {
  const hooks = options.hooks ?? {};
  const rename = hooks.rename ?? renameSync;
  const fault = faultStep();
  let step = 0;
  const point = () => {
    step += 1;
    if (fault === step) process.kill(process.pid, "SIGKILL");
    hooks.onStep?.(step);
  };
  const id = `${Date.now().toString(36)}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const folder = join(journalFolder(repoRoot, options.env), id);
  const journal: Journal = {
    version: 1,
    id,
    pid: process.pid,
    startedAt: Date.now(),
    repoRoot,
    state: "preparing",
    entries: [],
    createdFolders: options.foldersToCreate,
  };
  point();
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  // All originals go into one file: one fsync instead of one per file (3,000-file applies).
  const preFile = openSync(join(folder, "pre.bin"), "w", 0o600);
  let offset = 0;
  try {
    writes.forEach((write, index) => {
      let pre: JournalEntry["pre"] = null;
      if (write.original !== null) {
        point();
        writeFully(preFile, write.original);
        pre = { offset, length: write.original.length };
        offset += write.original.length;
      }
      journal.entries.push({
        file: write.file,
        path: write.path,
        temp: write.after === null ? null : journalTempPath(write.path, id, index),
        afterHash: write.after === null ? null : sha256(write.after),
        pre,
        preHash: write.original === null ? null : sha256(write.original),
        mode: write.mode,
      });
    });
    fsyncSync(preFile);
  } finally {
    closeSync(preFile);
  }
  point();
  saveJournal(folder, journal);
  try {
    for (const created of options.foldersToCreate) {
      point();
      mkdirSync(created);
    }
    writes.forEach((write, index) => {
      const temp = journal.entries[index]?.temp;
      if (write.after === null || !temp) return;
      point();
      writeDurably(temp, write.after, write.mode, true);
    });
    point();
    journal.state = "committing";
    saveJournal(folder, journal);
    for (const entry of journal.entries) {
      point();
      if (entry.temp) rename(entry.temp, entry.path);
      else if (existsSync(entry.path)) unlinkSync(entry.path);
    }
    for (const parent of new Set(journal.entries.map((entry) => dirname(entry.path)))) fsyncFolder(parent);
  } catch (error) {
    if (error instanceof SimulatedCrash) throw error;
    rollBack(folder, journal, point);
    throw error;
  }
  point();
  finish(folder);
}

/** Removes a finished journal: journal.json first, so a kill half-way leaves nothing to replay. */
function finish(folder: string): void {
  quietly(() => unlinkSync(join(folder, "journal.json")));
  quietly(() => rmSync(folder, { recursive: true, force: true }));
}

/** Puts every original back (only files that hold the new content or are missing). */
function rollBack(folder: string, journal: Journal, point: () => void = () => undefined): number {
  if (journal.state !== "rolling-back") {
    journal.state = "rolling-back";
    point();
    saveJournal(folder, journal);
  }
  let removedTemps = 0;
  for (const entry of journal.entries) {
    if (entry.temp && existsSync(entry.temp)) {
      point();
      quietly(() => unlinkSync(entry.temp as string));
      removedTemps += 1;
    }
    const current = hashOf(entry.path);
    const missing = !existsSync(entry.path);
    if (entry.pre !== null) {
      // Restore when the target holds the new content or was deleted by this write.
      // Anything else is someone else's later change: never overwritten.
      if (current === entry.preHash || !(missing || current === entry.afterHash)) continue;
      const original = readPre(folder, entry.pre);
      const temp = entry.temp ?? journalTempPath(entry.path, journal.id, journal.entries.indexOf(entry));
      point();
      writeDurably(temp, original, entry.mode);
      point();
      renameSync(temp, entry.path);
    } else if (current !== null && current === entry.afterHash) {
      point();
      unlinkSync(entry.path);
    }
  }
  for (const created of [...journal.createdFolders].reverse()) quietly(() => rmdirSync(created));
  point();
  finish(folder);
  return removedTemps;
}

/** Renames the remaining temps into place; false (nothing done) when one cannot be completed. */
function rollForward(folder: string, journal: Journal): { ok: boolean } {
  const feasible = journal.entries.every((entry) => {
    if (entry.temp === null) return true;
    if (existsSync(entry.temp) && hashOf(entry.temp) === entry.afterHash) return true;
    return hashOf(entry.path) === entry.afterHash;
  });
  if (!feasible) return { ok: false };
  for (const entry of journal.entries) {
    if (entry.temp === null) {
      if (existsSync(entry.path) && hashOf(entry.path) === entry.preHash) unlinkSync(entry.path);
    } else if (existsSync(entry.temp)) {
      renameSync(entry.temp, entry.path);
    }
  }
  finish(folder);
  return { ok: true };
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A journal younger than this whose process still runs belongs to a live apply: left alone. */
const liveJournalMs = 10 * 60 * 1000;

/**
 * Finishes or undoes every interrupted write of this repository (see the module comment) and
 * removes its stale temp files. Returns what was done, one report per interrupted write; an
 * empty list when there was nothing to recover. Journals of a still-running hierocode process
 * are left alone.
 */
export function recoverInterruptedWrites(repoRoot: string, env: Env = process.env): RecoveryReport[] {
  const root = journalFolder(repoRoot, env);
  let ids: string[];
  try {
    ids = readdirSync(root);
  } catch {
    return [];
  }
  const reports: RecoveryReport[] = [];
  for (const id of ids.sort()) {
    const folder = join(root, id);
    let journal: Journal;
    try {
      if (!statSync(folder).isDirectory()) continue;
      journal = JSON.parse(readFileSync(join(folder, "journal.json"), "utf8")) as Journal;
    } catch {
      // No journal.json: killed before anything in the repository was touched (or after it
      // was finished). Only the saved originals are left; drop them unless the owner still runs.
      const pid = Number(id.split("-")[1]);
      if (Number.isFinite(pid) && processAlive(pid)) continue;
      quietly(() => rmSync(folder, { recursive: true, force: true }));
      continue;
    }
    if (processAlive(journal.pid) && Date.now() - journal.startedAt < liveJournalMs) continue;
    const files = journal.entries.map((entry) => entry.file);
    if (journal.state === "committing") {
      const temps = journal.entries.filter((entry) => entry.temp && existsSync(entry.temp)).length;
      const forward = rollForward(folder, journal);
      if (forward.ok) {
        reports.push({
          id,
          startedAt: journal.startedAt,
          action: "completed",
          files,
          placedTemps: temps,
          removedTemps: 0,
        });
        continue;
      }
    }
    const removedTemps = rollBack(folder, journal);
    reports.push({ id, startedAt: journal.startedAt, action: "rolled back", files, removedTemps });
  }
  return reports;
}

/** One line per recovery, for the user. */
export function describeRecovery(report: RecoveryReport): string {
  const when = new Date(report.startedAt).toISOString().replace("T", " ").slice(0, 19);
  const list = report.files.slice(0, 5).join(", ") + (report.files.length > 5 ? ", …" : "");
  const temps = report.removedTemps > 0 ? `; removed ${report.removedTemps} stale temp file(s)` : "";
  return report.action === "completed"
    ? `an interrupted write (started ${when} UTC) was completed: ${report.files.length} file(s) now hold the new content (${list})${temps}`
    : `an interrupted write (started ${when} UTC) was rolled back: ${report.files.length} file(s) are as they were before it (${list})${temps}`;
}
