/**
 * The incremental index: walk, reuse cached extractions whose identity still matches, parse the
 * rest (in worker threads when there are many), save, and return every file.
 *
 * Identity is git's: path + size + mtime + ctime + inode. mtime alone can be set back
 * (`touch -r`, `utimes`, archive extractors), but any write moves ctime and a replacing rename
 * changes the inode. Timestamps still lie when a file is rewritten within the filesystem's
 * timestamp granularity of the last index (the "racy git" problem): a row whose mtime or ctime is
 * within `racyWindowMs` of the moment it was indexed is only trusted after its content hash is
 * checked again.
 *
 * Files that were read but not parsed (junk content, undecodable bytes, a parser failure) are
 * cached with that status too, so a warm run does not read them again.
 */
import { realpathSync } from "node:fs";
import { availableParallelism } from "node:os";
import { openIndexDatabase } from "../store/database.js";
import type { JunkKind } from "./file-kinds.js";
import { clearAllIndexes, IndexStore, indexFormatVersion } from "./index-store.js";
import type { ParseJob, ParseOutcome, ParseStatus } from "./parse-file.js";
import type { ParsePool, PoolResult } from "./parse-pool.js";
import { hashFile } from "./safe-read.js";
import { encodeSymbols, withStoredSymbols } from "./symbol-codec.js";
import type { IndexedFile, RepoSymbol } from "./types.js";
import { type WalkOptions, type WalkResult, walkRepo } from "./walk.js";

export const racyWindowMs = 2000;

export interface IndexOptions extends WalkOptions {
  env?: Record<string, string | undefined>;
  /**
   * Worker threads parsing beside the main thread; default: one per core beyond the first (at
   * most 3), used when more than `workerThresholdBytes` (default 1.5 MB) need parsing. 0: parse
   * on this thread only.
   */
  workers?: number;
  workerThresholdBytes?: number;
  /**
   * false: files reused from the cache come back without `references` (not even read from the
   * store), for callers that only list symbols. Default true.
   */
  withReferences?: boolean;
  /** This repository's walk with these options, when the caller already made it. */
  walk?: WalkResult;
  /** Injectable clock (tests). */
  now?: () => number;
}

export interface IndexResult {
  files: IndexedFile[];
  /** Files parsed in this run. */
  parsed: number;
  /** Files whose cached extraction was reused. */
  reused: number;
  /** Of the reused, how many needed a hash check because their mtime was not trustworthy. */
  verified: number;
  /** Source files read but not parsed: junk content, undecodable bytes, parser failures. */
  unparsed: string[];
  /** Source files that could not be read (not cached: tried again next run). */
  unreadable: number;
  /** Worker threads that parsed (0: parsed in-process). */
  workers: number;
  /** `unparsable`: source files listed by path only (undecodable, parser failure, unreadable). */
  skipped: WalkResult["skipped"] & { unparsable: number };
  /** Where the time went (wall clock): walk + cache lookup, parsing, writing the cache. */
  timings: IndexTimings;
}

export interface IndexTimings {
  walkMs: number;
  parseMs: number;
  saveMs: number;
  totalMs: number;
}

const defaultWorkerThresholdBytes = 1536 * 1024;
const prestartedThresholdBytes = 256 * 1024;

/**
 * The parser (web-tree-sitter and the grammars) loads only when something needs parsing: a warm
 * run that reuses every row never pays for it.
 */
async function parseHere(jobs: ParseJob[]): Promise<ParseOutcome[]> {
  const outcomes: ParseOutcome[] = [];
  if (jobs.length === 0) return outcomes;
  const { parseFile } = await import("./parse-file.js");
  for (const job of jobs) outcomes.push(await parseFile(job));
  return outcomes;
}

/** Forgets the cached index of one repository, or of all of them; returns rows removed. */
export function clearIndexCache(
  options: { repoRoot?: string; env?: Record<string, string | undefined> } = {},
): number {
  const database = openIndexDatabase(options.env ?? process.env);
  if (!options.repoRoot) return clearAllIndexes(database);
  const before = new IndexStore(database, repoKey(options.repoRoot)).loadAll().size;
  new IndexStore(database, repoKey(options.repoRoot)).clear();
  return before;
}

export function repoKey(repoRoot: string): string {
  try {
    return realpathSync(repoRoot);
  } catch {
    return repoRoot;
  }
}

interface FreshFile {
  path: string;
  sha256: string;
  status: ParseStatus;
  lines: number;
  /** Already decoded (parsed on this thread); otherwise decoded from `symbolsJson` when read. */
  symbols: RepoSymbol[] | null;
  references: string[];
  symbolsJson: string;
  refs: string;
}

/** What a cached or fresh status means for the listed file: a junk kind, or null for code. */
function junkOfStatus(status: ParseStatus): JunkKind | null {
  if (status === "ok" || status === "failed" || status === "unreadable") return null;
  return status;
}

/** Both kinds of outcome as one shape: objects for the result, strings for the store. */
function freshFiles(result: PoolResult): { fresh: FreshFile[]; unreadable: string[] } {
  const fresh: FreshFile[] = [];
  const unreadable: string[] = [];
  const empty = { lines: 0, symbols: null, references: [], symbolsJson: "", refs: "" };
  for (const outcome of result.local) {
    if (!outcome.ok) {
      if (outcome.sha256 === null) unreadable.push(outcome.path);
      else fresh.push({ path: outcome.path, sha256: outcome.sha256, status: outcome.status, ...empty });
      continue;
    }
    const { extraction } = outcome;
    fresh.push({
      path: outcome.path,
      sha256: outcome.sha256,
      status: "ok",
      lines: extraction.lines,
      symbols: extraction.symbols,
      references: extraction.references,
      symbolsJson: encodeSymbols(outcome.path, extraction.symbols),
      refs: extraction.references.join(" "),
    });
  }
  for (const [path, sha256, lines, symbolsJson, refs, status] of result.remote) {
    if (sha256 === null) {
      unreadable.push(path);
      continue;
    }
    if (status !== "ok") {
      fresh.push({ path, sha256, status, ...empty });
      continue;
    }
    fresh.push({
      path,
      sha256,
      status,
      lines,
      symbols: null,
      references: refs === "" ? [] : refs.split(" "),
      symbolsJson,
      refs,
    });
  }
  return { fresh, unreadable };
}

async function startPool(count: number): Promise<ParsePool> {
  const { ParsePool } = await import("./parse-pool.js");
  return new ParsePool(count);
}

function defaultWorkers(): number {
  return Math.max(1, Math.min(3, availableParallelism() - 1));
}

/** What one index run carries from its start to the parse: the store, the clock, the workers. */
interface IndexRun {
  repoRoot: string;
  options: IndexOptions;
  store: IndexStore;
  now: () => number;
  started: number;
  workerCount: number;
  /** Started before the walk when nothing was cached; otherwise started on demand. */
  pool: ParsePool | null;
}

export async function indexRepo(repoRoot: string, options: IndexOptions = {}): Promise<IndexResult> {
  const started = performance.now();
  const store = new IndexStore(openIndexDatabase(options.env ?? process.env), repoKey(repoRoot));
  const workerCount = options.workers ?? defaultWorkers();
  const run: IndexRun = {
    repoRoot,
    options,
    store,
    now: options.now ?? Date.now,
    started,
    workerCount,
    // Never indexed here: workers will almost surely be needed, so they boot during the walk.
    pool: workerCount > 0 && store.isEmpty() ? await startPool(workerCount) : null,
  };
  try {
    return await indexWith(run);
  } finally {
    await run.pool?.close();
  }
}

async function indexWith(run: IndexRun): Promise<IndexResult> {
  const { repoRoot, options, store, now } = run;
  const timings: IndexTimings = { walkMs: 0, parseMs: 0, saveMs: 0, totalMs: 0 };
  const walk = options.walk ?? walkRepo(repoRoot, options);
  const cached = store.loadAll({ withReferences: options.withReferences !== false });

  const files: IndexedFile[] = [];
  /** Where each file sits in `files`: parsed ones are replaced there once parsed. */
  const slot = new Map<string, number>();
  const jobs: ParseJob[] = [];
  const verifiedRows: Array<{ path: string; mtimeMs: number; ctimeMs: number }> = [];
  const unparsed: string[] = [];
  let reused = 0;
  let bytesToParse = 0;

  for (const entry of walk.files) {
    const listed: IndexedFile = {
      path: entry.path,
      size: entry.size,
      mtimeMs: entry.mtimeMs,
      language: entry.language,
      junk: entry.junk,
      sha256: null,
      symbols: [],
      references: [],
      lines: 0,
    };
    files.push(listed);
    // Junk by name or attributes is listed, never read.
    if (!entry.language || entry.junk) continue;
    slot.set(entry.path, files.length - 1);
    const row = cached.get(entry.path);
    let usable =
      row !== undefined &&
      row.format === indexFormatVersion &&
      row.language === entry.language &&
      row.size === entry.size &&
      row.mtimeMs === entry.mtimeMs &&
      row.ctimeMs === entry.ctimeMs &&
      row.ino === entry.ino;
    if (usable && row && Math.max(row.mtimeMs, row.ctimeMs) + racyWindowMs > row.indexedAtMs) {
      usable = hashFile(entry.absolute) === row.sha256;
      if (usable) verifiedRows.push({ path: entry.path, mtimeMs: entry.mtimeMs, ctimeMs: entry.ctimeMs });
    }
    if (usable && row) {
      listed.sha256 = row.sha256;
      listed.junk = junkOfStatus(row.status);
      if (row.status === "ok") {
        listed.references = row.refs === "" ? [] : row.refs.split(" ");
        listed.lines = row.lines;
        files[files.length - 1] = withStoredSymbols(listed, row.symbolsJson);
      } else unparsed.push(entry.path);
      reused++;
    } else {
      jobs.push({
        path: entry.path,
        absolute: entry.absolute,
        language: entry.language,
        size: entry.size,
      });
      bytesToParse += entry.size;
    }
  }

  timings.walkMs = performance.now() - run.started;

  // Each worker costs ~0.3 s of boot and grammar compilation, so small jobs stay on this thread
  // unless workers were asked for; workers already booting are worth using for less.
  const threshold =
    options.workerThresholdBytes ?? (run.pool ? prestartedThresholdBytes : defaultWorkerThresholdBytes);
  const wanted = options.workers !== undefined || bytesToParse > threshold;
  if (run.workerCount > 0 && jobs.length > 1 && wanted) run.pool ??= await startPool(run.workerCount);
  const pool = run.workerCount > 0 && jobs.length > 1 && wanted ? run.pool : null;
  const parseStarted = performance.now();
  const result: PoolResult = pool
    ? await pool.run(jobs, options.workers !== undefined)
    : { local: await parseHere(jobs), remote: [], workersUsed: 0 };
  timings.parseMs = performance.now() - parseStarted;

  const { fresh, unreadable } = freshFiles(result);
  const identity = new Map(walk.files.map((entry) => [entry.path, entry]));
  const rows: Parameters<IndexStore["save"]>[0] = [];
  for (const parsed of fresh) {
    const at = slot.get(parsed.path);
    const file = at === undefined ? undefined : files[at];
    const entry = identity.get(parsed.path);
    if (at === undefined || !file?.language || !entry) continue;
    const { symbols: _empty, ...listed } = file;
    const done = {
      ...listed,
      sha256: parsed.sha256,
      references: parsed.references,
      lines: parsed.lines,
      junk: junkOfStatus(parsed.status),
    };
    if (parsed.status !== "ok") {
      files[at] = { ...done, symbols: [] };
      unparsed.push(parsed.path);
    } else
      files[at] = parsed.symbols
        ? { ...done, symbols: parsed.symbols, symbolsJson: parsed.symbolsJson }
        : withStoredSymbols(done, parsed.symbolsJson);
    rows.push({
      ...parsed,
      size: file.size,
      mtimeMs: file.mtimeMs,
      ctimeMs: entry.ctimeMs,
      ino: entry.ino,
      language: file.language,
    });
  }
  unparsed.push(...unreadable);
  const unreadableSet = new Set(unreadable);
  const removed = [...cached.keys()].filter((path) => {
    const entry = identity.get(path);
    return !entry?.language || entry.junk !== null || unreadableSet.has(path);
  });
  const saveStarted = performance.now();
  store.save(rows, verifiedRows, removed, now());
  timings.saveMs = performance.now() - saveStarted;
  timings.totalMs = performance.now() - run.started;

  const unparsable = unparsed.filter((path) => {
    const at = slot.get(path);
    const junk = at === undefined ? undefined : files[at]?.junk;
    return junk === null || junk === "undecodable";
  }).length;
  return {
    files,
    parsed: fresh.length + unreadable.length,
    reused,
    verified: verifiedRows.length,
    unparsed: unparsed.sort(),
    unreadable: unreadable.length,
    workers: result.workersUsed,
    skipped: { ...walk.skipped, unparsable },
    timings,
  };
}
