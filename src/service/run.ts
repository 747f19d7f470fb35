/**
 * Wiring for `hierocode serve`: the queue named by service.queue, a worker pool, the HTTP
 * service (unless --worker-only) and the ticket watcher, until SIGINT/SIGTERM.
 */
import type { HierocodeConfig } from "../config/schema.js";
import { openQueue, poolSize, startPool } from "../queue/open.js";
import { startService } from "./http.js";
import { watchTickets } from "./tickets.js";

type Env = Record<string, string | undefined>;

export interface ServeOptions {
  config: HierocodeConfig;
  env: Env;
  cwd: string;
  host?: string;
  port?: number;
  workerOnly?: boolean;
  workers?: number;
  /** Lines for stderr. */
  log(line: string): void;
}

/** Runs until a signal; resolves after a clean shutdown. */
export async function serve(options: ServeOptions): Promise<void> {
  const { config, env } = options;
  const service = config.service;
  const queue = await openQueue(service, env);
  const size = options.workers ?? poolSize(config);
  const pool = startPool({
    queue,
    config,
    env,
    size: Math.max(size, options.workerOnly ? 1 : 0),
    log: (line) => options.log(line),
  });
  let close: (() => Promise<void>) | undefined;
  try {
    if (!options.workerOnly) {
      const host = options.host ?? service.host;
      const token = env.HIEROCODE_SERVICE_TOKEN?.trim() || service.token;
      const running = await startService({
        host,
        port: options.port ?? service.port,
        ...(token ? { token } : {}),
        queue,
        pool,
        poolSize: size,
        env,
        cwd: options.cwd,
        log: options.log,
      });
      close = running.close;
      options.log(
        `listening on ${running.url} (queue: ${queue.kind}, ${size} worker(s)${token ? ", bearer token required" : ""})`,
      );
    } else {
      options.log(`worker only (queue: ${queue.kind}, ${size} worker(s))`);
    }
    const tickets = watchTickets({ repos: service.watch, queue, wake: () => pool.wake(), log: options.log });
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    options.log("shutting down");
    tickets.stop();
  } finally {
    await close?.();
    await pool.stop();
    await queue.close();
  }
}
