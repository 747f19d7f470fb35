/**
 * The durable task queue shared by `hierocode serve`, its `--worker-only` processes and the MCP
 * server's `submit_task`: a job is one whole plan → draft → review run on one repository whose
 * result is diffs (nothing is written to the working tree). Two back ends implement `JobQueue`:
 * SQLite (node:sqlite, embedded, the default) and PostgreSQL (for several machines).
 */

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface JobInput {
  task: string;
  /** Absolute real path of the git repository. */
  repo: string;
  /** Run the project's tests after the units (policy.verify_command or auto-detected). */
  verify?: boolean;
}

export interface JobProgress {
  /** A short phase line ("planning", "drafting u2: …", "reviewing u2"). */
  message: string;
  unitsDone: number;
  unitsTotal: number;
  /** Milliseconds since epoch of the last update. */
  updatedAt: number;
}

export interface JobResult {
  runId: string;
  /** One unified diff per changed file (git apply format). */
  diffs: Array<{ file: string; diff: string }>;
  /** All changes as one unified diff. */
  diff: string;
  units: Array<{ id: string; goal: string; status: string; reason?: string }>;
  usage: Record<
    string,
    { calls: number; input_tokens: number; output_tokens: number; cost_usd: number | null }
  >;
  summary: string;
  resumed: boolean;
}

export interface JobError {
  type: string;
  message: string;
  suggestion: string;
}

export interface Job {
  id: string;
  state: JobState;
  input: JobInput;
  priority: number;
  /** Times the job was leased (1 on the first run; more after a crash). */
  attempts: number;
  idempotencyKey?: string;
  /** The run whose log a re-leased job resumes from. */
  runId?: string;
  progress?: JobProgress;
  result?: JobResult;
  error?: JobError;
  cancelRequested: boolean;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
}

export interface SubmitOptions {
  idempotencyKey?: string;
  /** Higher runs first (default 0). */
  priority?: number;
}

export interface JobQueue {
  readonly kind: "sqlite" | "postgres";
  /** Adds a job, or returns the existing one with the same idempotency key. */
  submit(input: JobInput, options?: SubmitOptions): Promise<{ job: Job; existing: boolean }>;
  get(id: string): Promise<Job | undefined>;
  /**
   * Takes the highest-priority queued job, or a running job whose lease expired (its process
   * died), for `leaseMs`. A job leased `maxAttempts` times without finishing is failed instead.
   * `owner` is "host:pid:worker"; a job whose expired lease belongs to the same "host:pid:" is
   * still running in this process (its event loop was busy) and is not taken over.
   */
  lease(owner: string, leaseMs: number): Promise<Job | undefined>;
  /** Extends a lease; false when the job is no longer leased by `owner` (it was taken over). */
  renew(id: string, owner: string, leaseMs: number): Promise<boolean>;
  setRunId(id: string, owner: string, runId: string): Promise<void>;
  setProgress(id: string, owner: string, progress: JobProgress): Promise<void>;
  finish(
    id: string,
    owner: string,
    outcome: { state: "succeeded"; result: JobResult } | { state: "failed" | "cancelled"; error: JobError },
  ): Promise<void>;
  /** Cancels a queued job at once; asks the worker of a running one to stop. Undefined: unknown id. */
  cancel(id: string): Promise<Job | undefined>;
  close(): Promise<void>;
}

export const terminalStates: ReadonlySet<JobState> = new Set(["succeeded", "failed", "cancelled"]);

/**
 * A `jobs` row as either store returns it: SQLite (node:sqlite) gives JSON columns as text,
 * `cancel_requested` as 0/1 and times as epoch ms; PostgreSQL (pg) gives `jsonb` as objects, a
 * boolean and `timestamptz` as Date.
 */
export interface JobRow {
  id: string;
  state: string;
  input: string | JobInput;
  priority: number;
  attempts: number;
  idempotency_key: string | null;
  run_id: string | null;
  progress: string | JobProgress | null;
  result: string | JobResult | null;
  error: string | JobError | null;
  cancel_requested: number | boolean;
  created_at: number | Date;
  started_at: number | Date | null;
  finished_at: number | Date | null;
}

function jsonColumn<T>(value: string | T | null): T | undefined {
  if (value === null || value === "") return undefined;
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}

function millis(value: number | Date): number {
  return value instanceof Date ? value.getTime() : value;
}

/** The Job of a row of either store (see {@link JobRow}); absent columns are left out. */
export function jobFromRow(row: JobRow): Job {
  const progress = jsonColumn<JobProgress>(row.progress);
  const result = jsonColumn<JobResult>(row.result);
  const error = jsonColumn<JobError>(row.error);
  return {
    id: row.id,
    state: row.state as JobState,
    input: jsonColumn<JobInput>(row.input) as JobInput,
    priority: row.priority,
    attempts: row.attempts,
    ...(row.idempotency_key ? { idempotencyKey: row.idempotency_key } : {}),
    ...(row.run_id ? { runId: row.run_id } : {}),
    ...(progress ? { progress } : {}),
    ...(result ? { result } : {}),
    ...(error ? { error } : {}),
    cancelRequested: row.cancel_requested === true || row.cancel_requested === 1,
    createdAt: millis(row.created_at),
    ...(row.started_at !== null ? { startedAt: millis(row.started_at) } : {}),
    ...(row.finished_at !== null ? { finishedAt: millis(row.finished_at) } : {}),
  };
}

/** A job's progress as the MCP tools (task_status) and the service's task view show it. */
export function progressView(progress: JobProgress | undefined): {
  message: string;
  units_done: number;
  units_total: number;
  updated_at: string;
} | null {
  return progress
    ? {
        message: progress.message,
        units_done: progress.unitsDone,
        units_total: progress.unitsTotal,
        updated_at: new Date(progress.updatedAt).toISOString(),
      }
    : null;
}
