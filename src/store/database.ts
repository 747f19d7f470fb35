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

export function openDatabase(file: string): Database {
  const existing = open.get(file);
  if (existing) return existing;
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const database = new DatabaseSync(file);
  database.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;");
  open.set(file, database);
  return database;
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
