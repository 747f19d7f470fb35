/**
 * `hierocode serve`: the HTTP service with a durable task queue (see src/service). Modules load
 * only when the command runs.
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { CliContext } from "../context.js";

interface ServeFlags {
  host?: string;
  port?: string;
  workerOnly?: boolean;
  workers?: string;
}

function integer(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max)
    throw new UsageError(`${flag} expects a whole number from ${min} to ${max}, got '${value}'`);
  return parsed;
}

export function registerServe(program: Command, context: CliContext): void {
  program
    .command("serve")
    .description(
      "run the HTTP service: worker calls, a durable task queue, MCP over HTTP (loopback by default)",
    )
    .option("--host <address>", "address to bind (default service.host, 127.0.0.1); others need a token")
    .option("--port <port>", "port (default service.port, 8765; 0 picks a free one)")
    .option("--worker-only", "no HTTP: only run queued jobs (several machines sharing a postgres:// queue)")
    .option("--workers <n>", "jobs at once (default service.workers, else parallelization.max_local_workers)")
    .action(async (flags: ServeFlags) => {
      const port = integer(flags.port, "--port", 0, 65535);
      const workers = integer(flags.workers, "--workers", 0, 64);
      const { config } = context.loadConfig();
      const { serve } = await import("../../service/run.js");
      await serve({
        config,
        // jobs re-read the config per repository: with -c, from that file
        env: context.globals.config
          ? { ...context.env, HIEROCODE_CONFIG: context.globals.config }
          : context.env,
        cwd: context.cwd,
        ...(flags.host ? { host: flags.host } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(flags.workerOnly ? { workerOnly: true } : {}),
        ...(workers !== undefined ? { workers } : {}),
        log: (line) => context.output.note(`hierocode serve: ${line}`),
      });
    });
}
