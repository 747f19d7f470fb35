/**
 * The worker pool: `size` loops that lease jobs from a `JobQueue`, run them (execute.ts), renew
 * their lease every third of its length, and stop a job whose cancellation was requested.
 */
import { hostname } from "node:os";
import { toolErrorOf } from "../mcp/errors.js";
import { type ExecuteDeps, executeJob } from "./execute.js";
import type { JobQueue } from "./types.js";

export interface WorkerPoolOptions {
  queue: JobQueue;
  /** Concurrent jobs (the service uses parallelization.max_local_workers by default); 0: none. */
  size: number;
  /** Lease length in ms; a crashed worker's job is taken over after this. */
  leaseMs: number;
  /** How often an idle worker looks for a job (ms). */
  pollMs?: number;
  deps: ExecuteDeps;
  /** One line per job start/end, for the service's stderr. */
  log?: (line: string) => void;
}

export interface WorkerPool {
  /** Makes idle workers look for a job now (after a submit). */
  wake(): void;
  /** Stops leasing; running jobs are aborted and keep their lease (they resume after it expires). */
  stop(): Promise<void>;
  /** Jobs running in this pool now. */
  readonly running: number;
}

/** Starts `options.size` worker loops on the queue; they run until `stop()`. */
export function startWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const { queue, leaseMs } = options;
  const pollMs = options.pollMs ?? 500;
  const log = options.log ?? (() => undefined);
  let stopping = false;
  let running = 0;
  const sleepers = new Set<() => void>();
  const stopController = new AbortController();
  const wake = () => {
    for (const resume of [...sleepers]) resume();
  };
  const idle = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      sleepers.add(done);
    });

  const loop = async (index: number) => {
    const owner = `${hostname()}:${process.pid}:${index}`;
    while (!stopping) {
      let job: Awaited<ReturnType<JobQueue["lease"]>>;
      try {
        job = await queue.lease(owner, leaseMs);
      } catch (error) {
        log(`queue: lease failed: ${toolErrorOf(error).message}`);
        await idle();
        continue;
      }
      if (!job) {
        await idle();
        continue;
      }
      running += 1;
      const controller = new AbortController();
      let cancelled = false;
      const onStop = () => controller.abort();
      stopController.signal.addEventListener("abort", onStop);
      const heartbeat = setInterval(
        () => {
          void (async () => {
            const kept = await queue.renew(job.id, owner, leaseMs).catch(() => true);
            const current = await queue.get(job.id).catch(() => undefined);
            if (!kept || current?.cancelRequested) {
              cancelled = Boolean(current?.cancelRequested);
              controller.abort();
            }
          })();
        },
        // renew (and look for a cancellation) every second, or more often for short leases
        Math.max(100, Math.min(1000, Math.floor(leaseMs / 3))),
      );
      log(`job ${job.id}: started (attempt ${job.attempts})${job.runId ? ` resuming run ${job.runId}` : ""}`);
      try {
        const result = await executeJob(job, options.deps, {
          signal: controller.signal,
          onRunId: (runId) => void queue.setRunId(job.id, owner, runId).catch(() => undefined),
          onProgress: (progress) => void queue.setProgress(job.id, owner, progress).catch(() => undefined),
          onWarning: (line) => log(`job ${job.id}: ${line}`),
        });
        await queue.finish(job.id, owner, { state: "succeeded", result });
        log(`job ${job.id}: succeeded`);
      } catch (error) {
        if (stopping && !cancelled) {
          log(`job ${job.id}: interrupted by shutdown; it resumes after its lease expires`);
        } else if (cancelled) {
          await queue
            .finish(job.id, owner, {
              state: "cancelled",
              error: { type: "cancelled", message: "cancelled while running", suggestion: "" },
            })
            .catch(() => undefined);
          log(`job ${job.id}: cancelled`);
        } else {
          const shape = toolErrorOf(error);
          await queue.finish(job.id, owner, { state: "failed", error: shape }).catch(() => undefined);
          log(`job ${job.id}: failed: ${shape.message}`);
        }
      } finally {
        clearInterval(heartbeat);
        stopController.signal.removeEventListener("abort", onStop);
        running -= 1;
      }
    }
  };
  const loops = Array.from({ length: Math.max(0, options.size) }, (_, index) => loop(index));
  return {
    wake,
    get running() {
      return running;
    },
    async stop() {
      stopping = true;
      stopController.abort();
      wake();
      await Promise.all(loops);
    },
  };
}
