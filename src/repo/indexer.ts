/**
 * The incremental index: walk, reuse cached extractions whose path + size + mtime still match,
 * parse the rest (in worker threads when there are many), save, and return every file.
 *
 * mtime lies when a file is rewritten within the filesystem's timestamp granularity of the last
 * index (the "racy git" problem): a row whose mtime is within `racyWindowMs` of the moment it was
 * indexed is only trusted after its content hash is checked again.
 */
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { openIndexDatabase } from "../store/database.js";
import { clearAllIndexes, decodeSymbols, IndexStore, indexFormatVersion } from "./index-store.js";
import { hashFile, type ParseJob, type ParseOutcome, parseFile } from "./parse-file.js";
import { parseInWorkers } from "./parse-pool.js";
import type { IndexedFile } from "./types.js";
import { type WalkOptions, type WalkResult, walkRepo } from "./walk.js";

const racyWindowMs = 2000;

export interface IndexOptions extends WalkOptions {
  env?: Record<string, string | undefined>;
  /** Worker threads for parsing; default: 2 when more than `workerThresholdBytes` need parsing. */
  workers?: number;
  workerThresholdBytes?: number;
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
  /** Worker threads that parsed (0: parsed in-process). */
  workers: number;
  skipped: WalkResult["skipped"] & { unparsable: number };
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

async function parseAll(
  jobs: ParseJob[],
  bytes: number,
  options: IndexOptions,
): Promise<{ outcomes: ParseOutcome[]; workers: number }> {
  // Each worker pays ~0.3–0.6 s to boot and compile its grammars, so small jobs stay in-process.
  const threshold = options.workerThresholdBytes ?? 6 * 1024 * 1024;
  const workers = options.workers ?? (bytes > threshold ? 2 : 0);
  if (workers > 0 && jobs.length > 1) {
    const pooled = await parseInWorkers(jobs, workers);
    if (pooled) return { outcomes: pooled, workers: Math.min(workers, jobs.length) };
  }
  const outcomes: ParseOutcome[] = [];
  for (const job of jobs) outcomes.push(await parseFile(job));
  return { outcomes, workers: 0 };
}

export async function indexRepo(repoRoot: string, options: IndexOptions = {}): Promise<IndexResult> {
  const now = options.now ?? Date.now;
  const walk = walkRepo(repoRoot, options);
  const store = new IndexStore(openIndexDatabase(options.env ?? process.env), repoKey(repoRoot));
  const cached = store.loadAll();

  const files: IndexedFile[] = [];
  const byPath = new Map<string, IndexedFile>();
  const jobs: ParseJob[] = [];
  const verifiedRows: Array<{ path: string; mtimeMs: number }> = [];
  let reused = 0;
  let bytesToParse = 0;

  for (const entry of walk.files) {
    const file: IndexedFile = {
      path: entry.path,
      size: entry.size,
      mtimeMs: entry.mtimeMs,
      language: entry.language,
      sha256: null,
      symbols: [],
      references: [],
      lines: 0,
    };
    files.push(file);
    byPath.set(entry.path, file);
    if (!entry.language) continue;
    const row = cached.get(entry.path);
    let usable =
      row !== undefined &&
      row.format === indexFormatVersion &&
      row.language === entry.language &&
      row.size === entry.size &&
      row.mtimeMs === entry.mtimeMs;
    if (usable && row && row.mtimeMs + racyWindowMs > row.indexedAtMs) {
      usable = hashFile(join(repoRoot, entry.path)) === row.sha256;
      if (usable) verifiedRows.push({ path: entry.path, mtimeMs: entry.mtimeMs });
    }
    if (usable && row) {
      file.sha256 = row.sha256;
      file.symbols = decodeSymbols(row.symbolsJson);
      file.references = row.refs === "" ? [] : row.refs.split(" ");
      file.lines = row.lines;
      reused++;
    } else {
      jobs.push({ path: entry.path, absolute: join(repoRoot, entry.path), language: entry.language });
      bytesToParse += entry.size;
    }
  }

  const { outcomes, workers } = await parseAll(jobs, bytesToParse, options);
  const fresh: Parameters<IndexStore["save"]>[0] = [];
  let unparsable = 0;
  for (const outcome of outcomes) {
    const file = byPath.get(outcome.path);
    if (!file) continue;
    if (!outcome.ok) {
      // A NUL byte in a ".c" file: treat it as the binary it is.
      unparsable++;
      byPath.delete(outcome.path);
      continue;
    }
    file.sha256 = outcome.sha256;
    file.symbols = outcome.extraction.symbols;
    file.references = outcome.extraction.references;
    file.lines = outcome.extraction.lines;
    if (file.language) {
      fresh.push({
        ...file,
        sha256: outcome.sha256,
        language: file.language,
        extraction: outcome.extraction,
      });
    }
  }
  const kept = unparsable === 0 ? files : files.filter((file) => byPath.has(file.path));
  const removed = [...cached.keys()].filter((path) => !byPath.get(path)?.language);
  store.save(fresh, verifiedRows, removed, now());

  return {
    files: kept,
    parsed: outcomes.length,
    reused,
    verified: verifiedRows.length,
    workers,
    skipped: { ...walk.skipped, unparsable },
  };
}
