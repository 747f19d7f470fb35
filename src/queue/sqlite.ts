/**
 * The embedded queue: one table in `queue.db` in the state folder (node:sqlite, WAL, busy
 * timeout 5 s), safe for several processes on one machine. Leases expire: a job whose process
 * died (kill -9) is leased again by the next worker that asks, and resumes from its run log.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { stateDir } from "../config/paths.js";
import { type Database, ensureSchema, openDatabase, transaction } from "../store/database.js";
import {
  type Job,
  type JobError,
  type JobInput,
  type JobQueue,
  type JobRow,
  jobFromRow,
  type SubmitOptions,
} from "./types.js";

const ddl = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  input TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT UNIQUE,
  lease_owner TEXT,
  lease_expires INTEGER,
  run_id TEXT,
  progress TEXT,
  result TEXT,
  error TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (state, priority DESC, created_at);
`;

/** A row of the jobs table: see JobRow (types.ts) for the column types. */
type Row = JobRow;

const toJob = jobFromRow;

/** "host:pid:" of an owner "host:pid:worker": a process never takes over its own jobs. */
export function processOf(owner: string): string {
  return owner.slice(0, owner.lastIndexOf(":") + 1);
}

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** `queue.db` in the state folder (beside state.db). */
export function queueDatabasePath(env: Record<string, string | undefined>): string {
  return join(stateDir(env), "queue.db");
}

export interface SqliteQueueOptions {
  /** Database file (default: queue.db in the state folder). */
  file: string;
  /** Leases a job may take before it is failed (a job that crashes its worker every time). */
  maxAttempts?: number;
  now?: () => number;
}

/** Opens (creating when needed) the SQLite queue. */
export function openSqliteQueue(options: SqliteQueueOptions): JobQueue {
  const database: Database = openDatabase(options.file);
  ensureSchema(database, "queue.jobs", ddl);
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 3;
  const get = (id: string): Job | undefined => {
    const row = database.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as Row | undefined;
    return row ? toJob(row) : undefined;
  };
  return {
    kind: "sqlite",
    async submit(input: JobInput, submitOptions: SubmitOptions = {}) {
      return transaction(database, () => {
        if (submitOptions.idempotencyKey) {
          const row = database
            .prepare("SELECT * FROM jobs WHERE idempotency_key = ?")
            .get(submitOptions.idempotencyKey) as Row | undefined;
          if (row) return { job: toJob(row), existing: true };
        }
        const id = `job_${randomUUID().replace(/-/g, "").slice(0, 20)}`;
        database
          .prepare(
            "INSERT INTO jobs (id, state, input, priority, idempotency_key, created_at) VALUES (?, 'queued', ?, ?, ?, ?)",
          )
          .run(
            id,
            JSON.stringify(input),
            submitOptions.priority ?? 0,
            submitOptions.idempotencyKey ?? null,
            now(),
          );
        return { job: get(id) as Job, existing: false };
      });
    },
    async get(id) {
      return get(id);
    },
    async lease(owner, leaseMs) {
      return transaction(database, () => {
        const time = now();
        for (;;) {
          const row = database
            .prepare(
              `SELECT * FROM jobs WHERE (state = 'queued')
                 OR (state = 'running' AND lease_expires < ? AND lease_owner NOT LIKE ? ESCAPE '\\')
               ORDER BY priority DESC, created_at ASC LIMIT 1`,
            )
            .get(time, `${likeEscape(processOf(owner))}%`) as Row | undefined;
          if (!row) return undefined;
          if (row.state === "running" && (row.attempts >= maxAttempts || row.cancel_requested === 1)) {
            const cancelled = row.cancel_requested === 1;
            const error: JobError = cancelled
              ? { type: "cancelled", message: "cancelled", suggestion: "submit the task again when needed" }
              : {
                  type: "internal",
                  message: `the job's worker stopped ${row.attempts} times without finishing`,
                  suggestion: "check the service's log; submit the task again",
                };
            database
              .prepare(
                "UPDATE jobs SET state = ?, error = ?, finished_at = ?, lease_owner = NULL WHERE id = ?",
              )
              .run(cancelled ? "cancelled" : "failed", JSON.stringify(error), time, row.id);
            continue;
          }
          database
            .prepare(
              `UPDATE jobs SET state = 'running', lease_owner = ?, lease_expires = ?, attempts = attempts + 1,
               started_at = COALESCE(started_at, ?) WHERE id = ?`,
            )
            .run(owner, time + leaseMs, time, row.id);
          return get(row.id);
        }
      });
    },
    async renew(id, owner, leaseMs) {
      const changed = database
        .prepare("UPDATE jobs SET lease_expires = ? WHERE id = ? AND lease_owner = ? AND state = 'running'")
        .run(now() + leaseMs, id, owner);
      return Number(changed.changes) === 1;
    },
    async setRunId(id, owner, runId) {
      database.prepare("UPDATE jobs SET run_id = ? WHERE id = ? AND lease_owner = ?").run(runId, id, owner);
    },
    async setProgress(id, owner, progress) {
      database
        .prepare("UPDATE jobs SET progress = ? WHERE id = ? AND lease_owner = ?")
        .run(JSON.stringify(progress), id, owner);
    },
    async finish(id, owner, outcome) {
      database
        .prepare(
          `UPDATE jobs SET state = ?, result = ?, error = ?, finished_at = ?, lease_owner = NULL
           WHERE id = ? AND lease_owner = ? AND state = 'running'`,
        )
        .run(
          outcome.state,
          outcome.state === "succeeded" ? JSON.stringify(outcome.result) : null,
          outcome.state === "succeeded" ? null : JSON.stringify(outcome.error),
          now(),
          id,
          owner,
        );
    },
    async cancel(id) {
      return transaction(database, () => {
        const job = get(id);
        if (!job) return undefined;
        if (job.state === "queued") {
          const error: JobError = {
            type: "cancelled",
            message: "cancelled before it started",
            suggestion: "",
          };
          database
            .prepare(
              "UPDATE jobs SET state = 'cancelled', cancel_requested = 1, error = ?, finished_at = ? WHERE id = ?",
            )
            .run(JSON.stringify(error), now(), id);
        } else if (job.state === "running") {
          database.prepare("UPDATE jobs SET cancel_requested = 1 WHERE id = ?").run(id);
        }
        return get(id);
      });
    },
    async close() {
      // the database handle is shared per process (closed by closeAllDatabases)
    },
  };
}
