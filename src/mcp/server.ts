/**
 * `hierocode mcp`: the MCP server (official TypeScript SDK, v2 `@modelcontextprotocol/server`)
 * over stdio, and the same tools for the service's Streamable HTTP endpoint (/mcp). stdout
 * carries only the protocol; logs go to stderr.
 */
import { McpServer } from "@modelcontextprotocol/server";
import type { ProviderRuntime } from "../providers/runtime.js";
import type { WorkerPool } from "../queue/pool.js";
import type { JobQueue } from "../queue/types.js";
import { findRepoRoot } from "../util/repo-root.js";
import { VERSION } from "../version.js";
import { type McpToolDeps, registerHierocodeTools } from "./tools.js";

type Env = Record<string, string | undefined>;

export const serverInfo = { name: "hierocode", version: VERSION };

/** A fresh McpServer with the five tools (the SDK builds one per connection or request). */
export function createHierocodeMcpServer(deps: McpToolDeps): McpServer {
  const server = new McpServer(serverInfo, {
    capabilities: { tools: {} },
    instructions:
      "hierocode drafts code with a local model. draft_code returns a unified diff for one file that you review and apply yourself; submit_task queues a whole planned task and task_status returns its diffs.",
  });
  registerHierocodeTools(server, deps);
  return server;
}

/**
 * The queue and a worker pool, opened on the first submit_task / task_status (never at start-up,
 * so tools/list answers at once). `stop()` ends the pool; a running job resumes after its lease.
 */
export function lazyJobs(env: Env, cwd: string, runtime?: Partial<ProviderRuntime>) {
  let opened: Promise<{ queue: JobQueue; pool: WorkerPool }> | undefined;
  return {
    jobs: async () => {
      opened ??= (async () => {
        const { loadConfigOrThrow } = await import("../config/load.js");
        const { openQueue, startPool } = await import("../queue/open.js");
        const root = findRepoRoot(cwd) ?? undefined;
        const config = loadConfigOrThrow({ env, ...(root ? { repoRoot: root } : {}) }).config;
        const queue = await openQueue(config.service, env);
        const pool = startPool({
          queue,
          config,
          env,
          ...(runtime ? { runtime } : {}),
          log: (line) => process.stderr.write(`hierocode mcp: ${line}\n`),
        });
        return { queue, pool };
      })();
      const { queue, pool } = await opened;
      return { queue, wake: () => pool.wake() };
    },
    async stop() {
      if (!opened) return;
      const { queue, pool } = await opened;
      await pool.stop();
      await queue.close();
    },
  };
}

/** Serves the tools on stdin/stdout until the client closes stdin. */
export async function serveMcpStdio(env: Env, cwd: string): Promise<void> {
  const { serveStdio } = await import("@modelcontextprotocol/server/stdio");
  const jobs = lazyJobs(env, cwd);
  const deps: McpToolDeps = { env, cwd, jobs: jobs.jobs };
  const handle = serveStdio(() => createHierocodeMcpServer(deps), {
    onerror: (error) => process.stderr.write(`hierocode mcp: ${error.message}\n`),
  });
  await new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
  });
  await jobs.stop();
  await handle.close();
}
