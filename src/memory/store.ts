/**
 * Cross-project memory: notes and preferences the user keeps across repositories, in
 * `$XDG_DATA_HOME/hierocode/memory.db` (`~/.local/share/hierocode`, or `HIEROCODE_DATA_DIR`),
 * opened through src/store/database.ts (busy timeout first, WAL). A note is global or belongs to
 * one project (its repository root). Full-text search is SQLite FTS5 ranked by BM25
 * (https://sqlite.org/fts5.html#the_bm25_function). Text that the secret scanner or the log
 * redactor flags is refused: a secret is never stored.
 */
import { join } from "node:path";
import { createRedactor } from "../checks/redact.js";
import { scanSecrets } from "../checks/secret-scan.js";
import { dataDir } from "../config/paths.js";
import { UsageError } from "../errors.js";
import { type Database, ensureSchema, openDatabase } from "../store/database.js";

type Env = Record<string, string | undefined>;

export type MemoryKind = "note" | "preference";

export interface MemoryNote {
  id: number;
  kind: MemoryKind;
  /** Absolute repository root, or null for a global note. */
  project: string | null;
  text: string;
  /** Epoch milliseconds. */
  created_at: number;
}

/** `HIEROCODE_DATA_DIR`, else `$XDG_DATA_HOME/hierocode`, else `~/.local/share/hierocode`. */
export { dataDir };

export function memoryDatabasePath(env: Env = process.env): string {
  return join(dataDir(env), "memory.db");
}

const ddl = `
CREATE TABLE IF NOT EXISTS memory_notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('note', 'preference')),
  project TEXT,
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS memory_fts USING fts5(text, content='memory_notes', content_rowid='id');
CREATE TRIGGER IF NOT EXISTS memory_notes_ai AFTER INSERT ON memory_notes BEGIN
  INSERT INTO memory_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS memory_notes_ad AFTER DELETE ON memory_notes BEGIN
  INSERT INTO memory_fts(memory_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
`;

export function openMemory(env: Env = process.env): Database {
  const database = openDatabase(memoryDatabasePath(env));
  ensureSchema(database, "memory", ddl);
  return database;
}

/**
 * Refuses text that looks like it holds a secret (gitleaks-derived rules, credential shapes,
 * values of auth-looking environment variables): UsageError naming what was found.
 */
export function assertNoSecret(text: string, env: Env): void {
  const findings = scanSecrets(text);
  if (findings.length > 0 || createRedactor(env)(text) !== text) {
    const what = findings[0] ? `${findings[0].description} (rule ${findings[0].ruleId})` : "a credential";
    throw new UsageError(`the text contains what looks like ${what}; nothing was stored`, {
      hint: "memory never stores secrets: remove the value and add the note again",
    });
  }
}

/** Stores a note (after the secret check); returns it. */
export function addNote(
  env: Env,
  input: { text: string; kind?: MemoryKind; project?: string | null; now?: number },
): MemoryNote {
  const text = input.text.trim();
  if (text === "") throw new UsageError("memory add: the note is empty");
  assertNoSecret(text, env);
  const database = openMemory(env);
  const note = {
    kind: input.kind ?? "note",
    project: input.project ?? null,
    text,
    created_at: input.now ?? Date.now(),
  };
  const result = database
    .prepare("INSERT INTO memory_notes (kind, project, text, created_at) VALUES (?, ?, ?, ?)")
    .run(note.kind, note.project, note.text, note.created_at);
  return { id: Number(result.lastInsertRowid), ...note };
}

/** Notes, newest first; `scope` "global", a project root, or undefined for all. */
export function listNotes(env: Env, scope?: { project: string | null }): MemoryNote[] {
  const database = openMemory(env);
  if (!scope)
    return database.prepare("SELECT * FROM memory_notes ORDER BY id DESC").all() as unknown as MemoryNote[];
  if (scope.project === null) {
    return database
      .prepare("SELECT * FROM memory_notes WHERE project IS NULL ORDER BY id DESC")
      .all() as unknown as MemoryNote[];
  }
  return database
    .prepare("SELECT * FROM memory_notes WHERE project = ? ORDER BY id DESC")
    .all(scope.project) as unknown as MemoryNote[];
}

/** Deletes a note by id; false when there was none. */
export function forgetNote(env: Env, id: number): boolean {
  const result = openMemory(env).prepare("DELETE FROM memory_notes WHERE id = ?").run(id);
  return Number(result.changes) > 0;
}

/** Words too common to say what a task is about (they would match every note). */
const stopwords = new Set(
  (
    "a an and are as at be but by can do does for from has have in into is it its make of on or so " +
    "that the their them then there these this those to use was we were what when which will with " +
    "you your all any add new fix change update should must please"
  ).split(" "),
);

/**
 * The FTS5 query for free text: its words (letters, digits, `_`; 2+ characters; common words
 * dropped), each quoted, OR-ed, at most 32; undefined when there are none. Quoting keeps FTS5
 * operators in the text inert.
 */
export function ftsQuery(text: string): string | undefined {
  const all = text.toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) ?? [];
  const words = [...new Set(all.filter((word) => !stopwords.has(word)))].slice(0, 32);
  if (words.length === 0) return undefined;
  return words.map((word) => `"${word}"`).join(" OR ");
}

export interface ScoredNote extends MemoryNote {
  /** FTS5 bm25(): lower is more relevant (negative numbers). */
  score: number;
}

/**
 * Notes matching `text`, best BM25 first: with `project`, the global notes and that project's;
 * without, all notes.
 */
export function searchNotes(
  env: Env,
  text: string,
  options: { project?: string; limit?: number } = {},
): ScoredNote[] {
  const query = ftsQuery(text);
  if (!query) return [];
  const database = openMemory(env);
  return database
    .prepare(
      `SELECT n.*, bm25(memory_fts) AS score FROM memory_fts JOIN memory_notes n ON n.id = memory_fts.rowid
       WHERE memory_fts MATCH ? AND (? OR n.project IS NULL OR n.project = ?)
       ORDER BY score LIMIT ?`,
    )
    .all(
      query,
      options.project === undefined ? 1 : 0,
      options.project ?? null,
      options.limit ?? 20,
    ) as unknown as ScoredNote[];
}
