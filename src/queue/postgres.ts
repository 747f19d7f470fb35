/**
 * The PostgreSQL queue (`service.queue: postgres://…`) for a team: several `hierocode serve`
 * and `serve --worker-only` processes on different machines share one table. The semantics are
 * those of the SQLite queue (sqlite.ts): a lease that expires, attempts, priority, an
 * idempotency key that returns the same job forever. Leasing uses `FOR UPDATE SKIP LOCKED`, so
 * two workers never take the same job. Driver: node-postgres (`pg`), loaded on demand.
 */
import { randomUUID } from "node:crypto";
import type { Pool, PoolClient } from "pg";
import { processOf } from "./sqlite.js";
import {
  type JobError,
  type JobInput,
  type JobQueue,
  type JobRow,
  jobFromRow,
  type SubmitOptions,
} from "./types.js";

const ddl = `
CREATE TABLE IF NOT EXISTS hierocode_jobs (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  input JSONB NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT UNIQUE,
  lease_owner TEXT,
  lease_expires TIMESTAMPTZ,
  run_id TEXT,
  progress JSONB,
  result JSONB,
  error JSONB,
  cancel_requested BOOLEAN NOT NULL DEFAULT false,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS hierocode_jobs_ready ON hierocode_jobs (state, priority DESC, created_at);
`;

/** A row of the jobs table: see JobRow (types.ts) for the column types. */
type Row = JobRow;

const toJob = jobFromRow;

async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Connects and creates the table when needed. `url` is a postgres:// connection string. */
export async function openPostgresQueue(options: { url: string; maxAttempts?: number }): Promise<JobQueue> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: options.url, max: 4 });
  pool.on("error", () => undefined); // an idle client lost its connection: the next query reconnects
  // Two processes starting at once: the advisory lock serializes the DDL.
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(727374)");
    await client.query(ddl);
  });
  const maxAttempts = options.maxAttempts ?? 3;
  const get = async (client: Pool | PoolClient, id: string) => {
    const { rows } = await client.query<Row>("SELECT * FROM hierocode_jobs WHERE id = $1", [id]);
    return rows[0] ? toJob(rows[0]) : undefined;
  };
  return {
    kind: "postgres",
    async submit(input: JobInput, submitOptions: SubmitOptions = {}) {
      const id = `job_${randomUUID().replace(/-/g, "").slice(0, 20)}`;
      const inserted = await pool.query<Row>(
        `INSERT INTO hierocode_jobs (id, state, input, priority, idempotency_key)
         VALUES ($1, 'queued', $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
        [id, JSON.stringify(input), submitOptions.priority ?? 0, submitOptions.idempotencyKey ?? null],
      );
      if (inserted.rows[0]) return { job: toJob(inserted.rows[0]), existing: false };
      const { rows } = await pool.query<Row>("SELECT * FROM hierocode_jobs WHERE idempotency_key = $1", [
        submitOptions.idempotencyKey,
      ]);
      if (!rows[0]) throw new Error("idempotent submit found no job");
      return { job: toJob(rows[0]), existing: true };
    },
    async get(id) {
      return get(pool, id);
    },
    async lease(owner, leaseMs) {
      return inTransaction(pool, async (client) => {
        for (;;) {
          const { rows } = await client.query<Row>(
            `SELECT * FROM hierocode_jobs
             WHERE state = 'queued'
                OR (state = 'running' AND lease_expires < now() AND NOT starts_with(COALESCE(lease_owner, ''), $1))
             ORDER BY priority DESC, created_at ASC LIMIT 1 FOR UPDATE SKIP LOCKED`,
            [processOf(owner)],
          );
          const row = rows[0];
          if (!row) return undefined;
          if (row.state === "running" && (row.attempts >= maxAttempts || row.cancel_requested)) {
            const error: JobError = row.cancel_requested
              ? { type: "cancelled", message: "cancelled", suggestion: "submit the task again when needed" }
              : {
                  type: "internal",
                  message: `the job's worker stopped ${row.attempts} times without finishing`,
                  suggestion: "check the service's log; submit the task again",
                };
            await client.query(
              "UPDATE hierocode_jobs SET state = $2, error = $3, finished_at = now(), lease_owner = NULL WHERE id = $1",
              [row.id, row.cancel_requested ? "cancelled" : "failed", JSON.stringify(error)],
            );
            continue;
          }
          const updated = await client.query<Row>(
            `UPDATE hierocode_jobs SET state = 'running', lease_owner = $2,
               lease_expires = now() + make_interval(secs => $3::double precision / 1000),
               attempts = attempts + 1, started_at = COALESCE(started_at, now())
             WHERE id = $1 RETURNING *`,
            [row.id, owner, leaseMs],
          );
          return updated.rows[0] ? toJob(updated.rows[0]) : undefined;
        }
      });
    },
    async renew(id, owner, leaseMs) {
      const result = await pool.query(
        `UPDATE hierocode_jobs SET lease_expires = now() + make_interval(secs => $3::double precision / 1000)
         WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
        [id, owner, leaseMs],
      );
      return result.rowCount === 1;
    },
    async setRunId(id, owner, runId) {
      await pool.query("UPDATE hierocode_jobs SET run_id = $3 WHERE id = $1 AND lease_owner = $2", [
        id,
        owner,
        runId,
      ]);
    },
    async setProgress(id, owner, progress) {
      await pool.query("UPDATE hierocode_jobs SET progress = $3 WHERE id = $1 AND lease_owner = $2", [
        id,
        owner,
        JSON.stringify(progress),
      ]);
    },
    async finish(id, owner, outcome) {
      await pool.query(
        `UPDATE hierocode_jobs SET state = $3, result = $4, error = $5, finished_at = now(), lease_owner = NULL
         WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
        [
          id,
          owner,
          outcome.state,
          outcome.state === "succeeded" ? JSON.stringify(outcome.result) : null,
          outcome.state === "succeeded" ? null : JSON.stringify(outcome.error),
        ],
      );
    },
    async cancel(id) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<Row>("SELECT * FROM hierocode_jobs WHERE id = $1 FOR UPDATE", [
          id,
        ]);
        const row = rows[0];
        if (!row) return undefined;
        if (row.state === "queued") {
          const error: JobError = {
            type: "cancelled",
            message: "cancelled before it started",
            suggestion: "",
          };
          await client.query(
            "UPDATE hierocode_jobs SET state = 'cancelled', cancel_requested = true, error = $2, finished_at = now() WHERE id = $1",
            [id, JSON.stringify(error)],
          );
        } else if (row.state === "running") {
          await client.query("UPDATE hierocode_jobs SET cancel_requested = true WHERE id = $1", [id]);
        }
        return get(client, id);
      });
    },
    async close() {
      await pool.end();
    },
  };
}
