/**
 * Opens the queue `service.queue` names: "sqlite" (queue.db in the state folder) or a
 * postgres:// URL (loaded on demand), and the worker pool that runs its jobs.
 */
import { loadConfigOrThrow } from "../config/load.js";
import type { HierocodeConfig } from "../config/schema.js";
import { ConfigError } from "../errors.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import { startWorkerPool, type WorkerPool } from "./pool.js";
import { openSqliteQueue, queueDatabasePath } from "./sqlite.js";
import type { JobQueue } from "./types.js";

type Env = Record<string, string | undefined>;

export async function openQueue(service: HierocodeConfig["service"], env: Env): Promise<JobQueue> {
  const url = service.queue.trim();
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const { openPostgresQueue } = await import("./postgres.js");
    try {
      return await openPostgresQueue({ url, maxAttempts: service.max_attempts });
    } catch (error) {
      throw new ConfigError(
        `service.queue: cannot use the PostgreSQL queue: ${(error as Error).message}`,
        [],
        {
          hint: "check the postgres:// URL, that the server runs, and that the user may create a table",
          cause: error,
        },
      );
    }
  }
  return openSqliteQueue({
    file: url === "sqlite" ? queueDatabasePath(env) : url,
    maxAttempts: service.max_attempts,
  });
}

/** The number of jobs a process runs at once: service.workers, else parallelization.max_local_workers. */
export function poolSize(config: HierocodeConfig): number {
  return config.service.workers ?? config.parallelization.max_local_workers;
}

/** A worker pool on `queue` whose jobs load the config of their repository each time. */
export function startPool(options: {
  queue: JobQueue;
  config: HierocodeConfig;
  env: Env;
  runtime?: Partial<ProviderRuntime>;
  size?: number;
  log?: (line: string) => void;
}): WorkerPool {
  return startWorkerPool({
    queue: options.queue,
    size: options.size ?? poolSize(options.config),
    leaseMs: options.config.service.lease_seconds * 1000,
    deps: {
      env: options.env,
      loadConfig: (repoRoot) => loadConfigOrThrow({ env: options.env, repoRoot }).config,
      ...(options.runtime ? { runtime: options.runtime } : {}),
    },
    ...(options.log ? { log: options.log } : {}),
  });
}
