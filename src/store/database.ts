/**
 * The embedded store: SQLite through node:sqlite (no native build). One file per purpose:
 * `state.db` in the state folder (plan cache, usage ledger, runs, later learning data) and
 * `index.db` in the cache folder (repository index). Each module creates its own tables with
 * `CREATE TABLE IF NOT EXISTS` through `ensureSchema`.
 */
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { DatabaseSync as DatabaseSyncType } from "node:sqlite";
import { cacheDir, stateDir } from "../config/paths.js";
import { ExitCode, HierocodeError } from "../errors.js";
import { afterEachCommand } from "../util/cleanup.js";

// node:sqlite prints an ExperimentalWarning on some Node versions; it is expected here.
const originalEmitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === "string" ? warning : warning.message;
  if (/SQLite is an experimental feature/i.test(text)) return;
  (originalEmitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const require = createRequire(import.meta.url);
const { DatabaseSync } = require("node:sqlite") as typeof import("node:sqlite");

export type Database = DatabaseSyncType;

const open = new Map<string, Database>();
const ensured = new WeakMap<Database, Set<string>>();

/** How long a statement waits for another process's lock before SQLITE_BUSY (milliseconds). */
export const busyTimeoutMs = 10_000;

/**
 * Opens (once per process) a SQLite database. The busy timeout is the very first statement, so
 * every later one (including the switch to WAL) waits for other processes instead of failing
 * with "database is locked"; WAL is only set when the file is not in WAL mode yet (the mode is
 * persistent). A database that cannot be opened is a `HierocodeError` naming the file.
 * Source: https://sqlite.org/pragma.html#pragma_busy_timeout, https://sqlite.org/wal.html
 */
export function openDatabase(file: string): Database {
  const existing = open.get(file);
  if (existing) return existing;
  let database: Database | undefined;
  const deadline = Date.now() + busyTimeoutMs;
  try {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    for (;;) {
      try {
        database = new DatabaseSync(file);
        database.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
        const mode = database.prepare("PRAGMA journal_mode").get() as { journal_mode?: string } | undefined;
        if (file !== ":memory:" && mode?.journal_mode?.toLowerCase() !== "wal")
          database.exec("PRAGMA journal_mode = WAL");
        database.exec("PRAGMA synchronous = NORMAL");
        break;
      } catch (error) {
        closeQuietly(database);
        database = undefined;
        // Switching a brand-new file to WAL takes an exclusive lock that SQLite may refuse at once
        // (SQLITE_BUSY without calling the busy handler) while other processes open it too: retry.
        const busy = error instanceof Error && /locked|busy/i.test(error.message);
        if (!busy || Date.now() > deadline) throw error;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.floor(Math.random() * 40));
      }
    }
  } catch (error) {
    closeQuietly(database);
    throw new HierocodeError(
      "database_unavailable",
      `cannot open the database ${file}: ${error instanceof Error ? error.message : String(error)}`,
      ExitCode.internal,
      {
        hint: "check that the folder is writable and not on a network file system; delete the file to rebuild it (the index and plan cache are rebuilt on demand)",
        cause: error,
      },
    );
  }
  if (!database) throw new Error("unreachable: database not opened");
  open.set(file, database);
  return database;
}

function closeQuietly(database: Database | undefined): void {
  try {
    database?.close();
  } catch {
    // not open
  }
}

/** Runs a module's DDL once per process per database. */
export function ensureSchema(database: Database, name: string, ddl: string): void {
  let names = ensured.get(database);
  if (!names) {
    names = new Set();
    ensured.set(database, names);
  }
  if (names.has(name)) return;
  database.exec(ddl);
  names.add(name);
}

export function stateDatabasePath(env: Record<string, string | undefined> = process.env): string {
  return join(stateDir(env), "state.db");
}

export function indexDatabasePath(env: Record<string, string | undefined> = process.env): string {
  return join(cacheDir(env), "index.db");
}

export function openStateDatabase(env: Record<string, string | undefined> = process.env): Database {
  return openDatabase(stateDatabasePath(env));
}

export function openIndexDatabase(env: Record<string, string | undefined> = process.env): Database {
  return openDatabase(indexDatabasePath(env));
}

export function closeAllDatabases(): void {
  for (const database of open.values()) {
    try {
      database.close();
    } catch {
      // already closed
    }
  }
  open.clear();
}
afterEachCommand(closeAllDatabases);

/** Runs `work` inside a transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error). */
export function transaction<T>(database: Database, work: () => T): T {
  database.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    database.exec("COMMIT");
    return result;
  } catch (error) {
    database.exec("ROLLBACK");
    throw error;
  }
}
