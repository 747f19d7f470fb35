/**
 * The index cache in the embedded store (`index.db` in the cache folder): one row per read
 * source file, keyed on repository + path, holding what is needed to decide reuse (size, mtime,
 * ctime, inode, hash, when it was indexed), how the read went (`status`: parsed, junk content,
 * undecodable, parser failure — all cached, so a bad file is not re-read every run) and the
 * extraction itself (symbols in the text `repo symbols --json` prints, references space-separated).
 */
import { type Database, ensureSchema, transaction } from "../store/database.js";
import type { LanguageId } from "./file-kinds.js";
import type { ParseStatus } from "./parse-file.js";

/** Bump when queries or extraction change: older rows are then re-parsed. */
export const indexFormatVersion = 13;

/** \`repo_index_files\` (format ≤ 11) lacked identity and status columns: it is dropped. */
const ddl = `
DROP TABLE IF EXISTS repo_index_files;
CREATE TABLE IF NOT EXISTS repo_index (
  repo TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  ctime_ms REAL NOT NULL,
  ino REAL NOT NULL,
  status TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  language TEXT NOT NULL,
  indexed_at_ms REAL NOT NULL,
  format INTEGER NOT NULL,
  lines INTEGER NOT NULL,
  symbols TEXT NOT NULL,
  refs TEXT NOT NULL,
  PRIMARY KEY (repo, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS repo_symbols_snapshot (
  repo TEXT NOT NULL PRIMARY KEY,
  format INTEGER NOT NULL,
  written_at_ms REAL NOT NULL,
  identities TEXT NOT NULL,
  rows BLOB NOT NULL
);
`;

/**
 * What `repo symbols --json` printed for the whole repository, with the identity of every
 * source file it covered (symbols-snapshot.ts): a warm run whose walk gives the same identities
 * prints `rows` without reading a single per-file row.
 */
export interface SymbolsSnapshot {
  format: number;
  writtenAtMs: number;
  /** One line per source file of the walk, in walk order (symbols-snapshot.ts `identityText`). */
  identities: string;
  /**
   * The rows of every file, joined by ",\n", as `repo symbols --json` prints them: UTF-8 bytes,
   * copied to stdout without a round trip through a JavaScript string.
   */
  rows: Uint8Array;
}

export interface CachedFile {
  path: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  status: ParseStatus;
  sha256: string;
  language: LanguageId;
  indexedAtMs: number;
  format: number;
  /** The rows `repo symbols --json` prints (symbol-codec.ts); decoded only when the file is used. */
  symbolsJson: string;
  refs: string;
  lines: number;
}

export { decodeSymbols, encodeSymbols } from "./symbol-codec.js";

export class IndexStore {
  private readonly database: Database;
  private readonly repo: string;

  constructor(database: Database, repo: string) {
    this.database = database;
    this.repo = repo;
    ensureSchema(database, "repo_index", ddl);
  }

  /**
   * Every cached row of this repository. `withReferences: false` leaves `refs` empty (not read:
   * `repo symbols` never uses them, and they are most of a row's bytes).
   */
  loadAll(options: { withReferences?: boolean } = {}): Map<string, CachedFile> {
    const refs = options.withReferences === false ? "'' AS refs" : "refs";
    const rows = this.database
      .prepare(
        `SELECT path, size, mtime_ms, ctime_ms, ino, status, sha256, language, indexed_at_ms, format, lines, symbols, ${refs} FROM repo_index WHERE repo = ?`,
      )
      .all(this.repo) as Array<Record<string, unknown>>;
    const out = new Map<string, CachedFile>();
    for (const row of rows) {
      out.set(row.path as string, {
        path: row.path as string,
        size: Number(row.size),
        mtimeMs: Number(row.mtime_ms),
        ctimeMs: Number(row.ctime_ms),
        ino: Number(row.ino),
        status: row.status as ParseStatus,
        sha256: row.sha256 as string,
        language: row.language as LanguageId,
        indexedAtMs: Number(row.indexed_at_ms),
        format: Number(row.format),
        lines: Number(row.lines),
        symbolsJson: row.symbols as string,
        refs: row.refs as string,
      });
    }
    return out;
  }

  /** True when nothing is cached for this repository (a cold index is coming). */
  isEmpty(): boolean {
    return (
      this.database.prepare("SELECT 1 FROM repo_index WHERE repo = ? LIMIT 1").get(this.repo) === undefined
    );
  }

  /**
   * Writes new extractions, refreshes re-verified rows and drops rows of vanished files in one
   * transaction, each statement prepared once.
   */
  save(
    fresh: Array<{
      path: string;
      size: number;
      mtimeMs: number;
      ctimeMs: number;
      ino: number;
      status: ParseStatus;
      sha256: string;
      language: LanguageId;
      lines: number;
      symbolsJson: string;
      refs: string;
    }>,
    verified: Array<{ path: string; mtimeMs: number; ctimeMs: number }>,
    removed: string[],
    nowMs: number,
  ): void {
    if (fresh.length === 0 && verified.length === 0 && removed.length === 0) return;
    transaction(this.database, () => {
      const upsert = this.database.prepare(
        `INSERT INTO repo_index (repo, path, size, mtime_ms, ctime_ms, ino, status, sha256, language, indexed_at_ms, format, lines, symbols, refs)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (repo, path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
           ctime_ms = excluded.ctime_ms, ino = excluded.ino, status = excluded.status, sha256 = excluded.sha256, language = excluded.language, indexed_at_ms = excluded.indexed_at_ms,
           format = excluded.format, lines = excluded.lines, symbols = excluded.symbols, refs = excluded.refs`,
      );
      for (const file of fresh) {
        upsert.run(
          this.repo,
          file.path,
          file.size,
          file.mtimeMs,
          file.ctimeMs,
          file.ino,
          file.status,
          file.sha256,
          file.language,
          nowMs,
          indexFormatVersion,
          file.lines,
          file.symbolsJson,
          file.refs,
        );
      }
      const touch = this.database.prepare(
        "UPDATE repo_index SET mtime_ms = ?, ctime_ms = ?, indexed_at_ms = ? WHERE repo = ? AND path = ?",
      );
      for (const file of verified) touch.run(file.mtimeMs, file.ctimeMs, nowMs, this.repo, file.path);
      const remove = this.database.prepare("DELETE FROM repo_index WHERE repo = ? AND path = ?");
      for (const path of removed) remove.run(this.repo, path);
    });
  }

  clear(): void {
    this.database.prepare("DELETE FROM repo_index WHERE repo = ?").run(this.repo);
    this.database.prepare("DELETE FROM repo_symbols_snapshot WHERE repo = ?").run(this.repo);
  }

  loadSnapshot(): SymbolsSnapshot | null {
    const row = this.database
      .prepare("SELECT format, written_at_ms, identities, rows FROM repo_symbols_snapshot WHERE repo = ?")
      .get(this.repo) as Record<string, unknown> | undefined;
    if (!row) return null;
    return {
      format: Number(row.format),
      writtenAtMs: Number(row.written_at_ms),
      identities: row.identities as string,
      rows: row.rows as Uint8Array,
    };
  }

  saveSnapshot(identities: string, rows: string, nowMs: number): void {
    this.database
      .prepare(
        `INSERT INTO repo_symbols_snapshot (repo, format, written_at_ms, identities, rows) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (repo) DO UPDATE SET format = excluded.format, written_at_ms = excluded.written_at_ms,
           identities = excluded.identities, rows = excluded.rows`,
      )
      .run(this.repo, indexFormatVersion, nowMs, identities, Buffer.from(rows, "utf8"));
  }
}

/** Drops every repository's cached index (for `hierocode cache clear`); returns rows removed. */
export function clearAllIndexes(database: Database): number {
  ensureSchema(database, "repo_index", ddl);
  const result = database.prepare("DELETE FROM repo_index").run();
  database.prepare("DELETE FROM repo_symbols_snapshot").run();
  return Number(result.changes);
}
