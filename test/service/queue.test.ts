/**
 * The two queue back ends against the same expectations: idempotency, priority, exclusive
 * leases, expiry and takeover by another process (never by the same one), attempts, cancel.
 * PostgreSQL runs on a real throwaway server (postgres-server.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresQueue } from "../../src/queue/postgres.js";
import { openSqliteQueue } from "../../src/queue/sqlite.js";
import { type JobQueue, jobFromRow } from "../../src/queue/types.js";
import { type PostgresServer, requirePostgresInCi, startPostgres } from "./postgres-server.js";

let postgres: PostgresServer | undefined;
const folders: string[] = [];
let pgDatabases = 0;

beforeAll(async () => {
  postgres = requirePostgresInCi(await startPostgres());
}, 90_000);

afterAll(() => {
  postgres?.stop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

async function fresh(kind: "sqlite" | "postgres"): Promise<JobQueue | undefined> {
  if (kind === "sqlite") {
    const folder = mkdtempSync(join(tmpdir(), "haco-queue-"));
    folders.push(folder);
    return openSqliteQueue({ file: join(folder, "queue.db"), maxAttempts: 2 });
  }
  if (!postgres) return undefined;
  // a database per test keeps them independent
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  const name = `q${++pgDatabases}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return openPostgresQueue({ url: postgres.url.replace(/\/postgres$/, `/${name}`), maxAttempts: 2 });
}

const input = (task: string) => ({ task, repo: "/tmp/repo" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(["sqlite", "postgres"] as const)("%s queue", { timeout: 60_000 }, (kind) => {
  it("returns the same job for the same idempotency key, and leases by priority", async (context) => {
    const queue = await fresh(kind);
    if (!queue) return context.skip();
    const first = await queue.submit(input("a"), { idempotencyKey: "k" });
    const again = await queue.submit(input("other"), { idempotencyKey: "k" });
    expect(again).toMatchObject({ existing: true, job: { id: first.job.id } });
    const urgent = await queue.submit(input("b"), { priority: 5 });
    expect((await queue.lease("h:1:0", 60_000))?.id).toBe(urgent.job.id);
    expect((await queue.lease("h:1:1", 60_000))?.id).toBe(first.job.id);
    expect(await queue.lease("h:1:2", 60_000)).toBeUndefined();
    await queue.close();
  });

  it("never gives one job to two workers at once", async (context) => {
    const queue = await fresh(kind);
    if (!queue) return context.skip();
    for (let index = 0; index < 10; index++) await queue.submit(input(`t${index}`));
    const leased = await Promise.all(
      Array.from({ length: 14 }, (_, index) => queue.lease(`h:${index}:0`, 60_000)),
    );
    const ids = leased.filter((job) => job !== undefined).map((job) => job.id);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    await queue.close();
  });

  it("hands an expired lease to another process, not to its own, and fails a job after max attempts", async (context) => {
    const queue = await fresh(kind);
    if (!queue) return context.skip();
    const { job } = await queue.submit(input("crashy"));
    expect((await queue.lease("hostA:1:0", 200))?.attempts).toBe(1);
    await queue.setRunId(job.id, "hostA:1:0", "run-1");
    await sleep(400);
    expect(await queue.lease("hostA:1:1", 200)).toBeUndefined(); // same process: still running there
    expect(await queue.renew(job.id, "hostA:1:0", 200)).toBe(true);
    await sleep(400);
    const taken = await queue.lease("hostB:2:0", 200);
    expect(taken).toMatchObject({ id: job.id, attempts: 2, runId: "run-1" });
    expect(await queue.renew(job.id, "hostA:1:0", 200)).toBe(false); // the old owner lost it
    await sleep(400);
    expect(await queue.lease("hostC:3:0", 200)).toBeUndefined(); // max attempts reached: failed
    expect((await queue.get(job.id))?.state).toBe("failed");
    await queue.close();
  });

  it("records progress and results, and cancels queued and running jobs", async (context) => {
    const queue = await fresh(kind);
    if (!queue) return context.skip();
    const queued = await queue.submit(input("never runs"));
    const running = await queue.submit(input("runs"));
    expect((await queue.cancel(queued.job.id))?.state).toBe("cancelled");
    const leased = await queue.lease("h:1:0", 60_000);
    expect(leased?.id).toBe(running.job.id);
    await queue.setProgress(running.job.id, "h:1:0", {
      message: "drafting",
      unitsDone: 0,
      unitsTotal: 2,
      updatedAt: 1,
    });
    expect((await queue.cancel(running.job.id))?.cancelRequested).toBe(true);
    await queue.finish(running.job.id, "h:1:0", {
      state: "cancelled",
      error: { type: "cancelled", message: "cancelled while running", suggestion: "" },
    });
    const done = await queue.get(running.job.id);
    expect(done).toMatchObject({ state: "cancelled", progress: { message: "drafting", unitsTotal: 2 } });
    expect(await queue.cancel("job_unknown")).toBeUndefined();
    await queue.close();
  });
});

describe("jobFromRow: one mapping for both stores' rows", () => {
  it("maps a SQLite row (JSON text, 0/1, epoch ms) and a PostgreSQL row (objects, boolean, Date) alike", () => {
    const input = { task: "t", repo: "/r" };
    const result = { runId: "r1", diffs: [], diff: "", units: [], usage: {}, summary: "s", resumed: false };
    const common = {
      id: "job_1",
      state: "succeeded",
      priority: 2,
      attempts: 1,
      idempotency_key: "k",
      run_id: "r1",
    };
    const fromSqlite = jobFromRow({
      ...common,
      input: JSON.stringify(input),
      progress: null,
      result: JSON.stringify(result),
      error: null,
      cancel_requested: 0,
      created_at: 1000,
      started_at: 2000,
      finished_at: 3000,
    });
    const fromPostgres = jobFromRow({
      ...common,
      input,
      progress: null,
      result,
      error: null,
      cancel_requested: false,
      created_at: new Date(1000),
      started_at: new Date(2000),
      finished_at: new Date(3000),
    });
    expect(fromSqlite).toEqual(fromPostgres);
    expect(fromSqlite).toEqual({
      id: "job_1",
      state: "succeeded",
      input,
      priority: 2,
      attempts: 1,
      idempotencyKey: "k",
      runId: "r1",
      result,
      cancelRequested: false,
      createdAt: 1000,
      startedAt: 2000,
      finishedAt: 3000,
    });
    const queued = jobFromRow({
      ...common,
      input,
      progress: null,
      result: null,
      error: null,
      cancel_requested: 1,
      created_at: 5,
      started_at: null,
      finished_at: null,
    });
    expect(queued.cancelRequested).toBe(true);
    expect("startedAt" in queued || "result" in queued).toBe(false);
  });
});
