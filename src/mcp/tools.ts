/**
 * The MCP tools (names and parameters compatible with the Python original's `hierocode mcp`):
 * draft_code, drafter_info, usage_summary, submit_task, task_status. Every result carries
 * `structuredContent` matching the tool's `outputSchema`, the same JSON as text, and on failure
 * `status: "error"` with the one error shape `{type, message, suggestion}` (errors.ts).
 * Config is loaded on every call, so an edited ~/.hierocode.yaml applies to the next call.
 */
import type { McpServer } from "@modelcontextprotocol/server";
import * as z from "zod/v4";
import type { ProviderRuntime } from "../providers/runtime.js";
import type { JobQueue } from "../queue/types.js";
import { startProgress } from "./progress.js";

type Env = Record<string, string | undefined>;

/** Diffs longer than this (characters) are saved under .haco/mcp/ and returned by path. */
export const diffSizeCap = 60_000;

export interface McpToolDeps {
  env: Env;
  /** Default repo_root (the server's working directory). */
  cwd: string;
  runtime?: Partial<ProviderRuntime>;
  /** The job queue for submit_task / task_status, opened (and its workers started) on first use. */
  jobs(): Promise<{ queue: JobQueue; wake(): void }>;
}

/** The error types of the one error shape (errors.ts). */
export const errorTypes = ["path", "input", "config", "provider", "edit", "cancelled", "internal"] as const;

const errorSchema = z.object({
  type: z.enum(errorTypes),
  message: z.string(),
  suggestion: z.string(),
});

const status = z.enum(["ok", "error"]);

export const draftOutput = z.object({
  status,
  diff: z.string().describe("unified diff (git apply format); empty when saved to diff_path"),
  diff_path: z.string().optional().describe("absolute path of the diff when it exceeds the size cap"),
  drafter_model: z.string(),
  included_files: z.array(z.string()),
  skipped_files: z.array(z.string()),
  warnings: z.array(z.string()),
  checks: z.array(
    z.object({
      check: z.string(),
      severity: z.string(),
      file: z.string(),
      line: z.number().optional(),
      message: z.string(),
    }),
  ),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number(), ms: z.number() }),
  error: errorSchema.optional(),
});

export const drafterInfoOutput = z.object({
  status,
  drafter_model: z.string().nullable(),
  provider: z.string().nullable(),
  param_count_b: z.number().nullable(),
  quantization: z.string().nullable(),
  context_window: z.number().nullable(),
  num_ctx: z.number().nullable(),
  max_input_tokens: z.number().nullable(),
  max_output_tokens: z.number().nullable(),
  reachable: z.boolean(),
  error: errorSchema.optional(),
});

const roleUsage = z.object({
  calls: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cost_usd: z.number().nullable(),
  subscription_messages: z.number(),
});

export const usageOutput = z.object({
  status,
  since: z.string().nullable(),
  runs: z.number(),
  roles: z.record(z.string(), roleUsage),
  models: z.array(
    z.object({
      role: z.string(),
      provider: z.string(),
      model: z.string(),
      calls: z.number(),
      input_tokens: z.number(),
      output_tokens: z.number(),
      cost_usd: z.number().nullable(),
    }),
  ),
  windows: z.array(
    z.object({
      plan: z.string(),
      window_hours: z.number(),
      messages_per_window: z.number(),
      used: z.number(),
      frees_at: z.string().nullable(),
    }),
  ),
  error: errorSchema.optional(),
});

export const submitOutput = z.object({
  status,
  job_id: z.string().nullable(),
  existing: z.boolean(),
  error: errorSchema.optional(),
});

export const jobView = z.object({
  status,
  job_id: z.string(),
  state: z.enum(["queued", "running", "succeeded", "failed", "cancelled", "unknown"]),
  attempts: z.number(),
  progress: z
    .object({ message: z.string(), units_done: z.number(), units_total: z.number(), updated_at: z.string() })
    .nullable(),
  summary: z.string().nullable(),
  diffs: z.array(z.object({ file: z.string(), diff: z.string() })),
  units: z.array(
    z.object({ id: z.string(), goal: z.string(), status: z.string(), reason: z.string().optional() }),
  ),
  error: errorSchema.optional(),
});

/** The progress heartbeat: 4 s, or HIEROCODE_MCP_HEARTBEAT_MS (100 ms at least). */
function heartbeatMs(env: Env): number {
  const value = Number(env.HIEROCODE_MCP_HEARTBEAT_MS);
  return Number.isFinite(value) && value > 0 ? Math.max(100, value) : 4000;
}

function reply<T extends Record<string, unknown>>(structured: T) {
  return {
    content: [{ type: "text" as const, text: JSON.stringify(structured, null, 2) }],
    structuredContent: structured,
    ...(structured.status === "error" ? { isError: true } : {}),
  };
}

const acceptanceInput = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .describe("what the change must achieve (one criterion or several)");

/** The tools' work, loaded on the first call (tools/list needs none of it). */
const handlers = () => import("./handlers.js");

/** Registers the five tools on `server`. */
export function registerHierocodeTools(server: McpServer, deps: McpToolDeps): void {
  server.registerTool(
    "draft_code",
    {
      title: "Draft code with the local model",
      description:
        "Ask the local drafter model for one file's change. Returns a unified diff (git apply format) for you to review and apply; it never writes to the repository. Paths are relative to repo_root (default: the server's working directory).",
      inputSchema: z.object({
        goal: z.string().min(1).describe("what the change must do"),
        target_file: z.string().min(1).describe("the file to change or create, relative to repo_root"),
        context_files: z
          .array(z.string())
          .optional()
          .describe("files the drafter should read, relative to repo_root"),
        acceptance: acceptanceInput,
        repo_root: z.string().optional().describe("absolute path of the git repository"),
      }),
      outputSchema: draftOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
    },
    async (args, ctx) => {
      const progress = startProgress(
        ctx.mcpReq._meta?.progressToken,
        (params) => ctx.mcpReq.notify({ method: "notifications/progress", params }),
        heartbeatMs(deps.env),
      );
      try {
        return reply(
          await (await handlers()).draftCode(deps, args, ctx.mcpReq.signal, (message) =>
            progress.phase(message),
          ),
        );
      } finally {
        progress.stop();
      }
    },
  );

  server.registerTool(
    "drafter_info",
    {
      title: "Describe the local drafter",
      description:
        "The configured drafter model: provider, parameters, quantization, context window, the num_ctx hierocode allocates, token budgets, and whether its server answers.",
      outputSchema: drafterInfoOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (ctx) => reply(await (await handlers()).drafterInfo(deps, ctx.mcpReq.signal)),
  );

  server.registerTool(
    "usage_summary",
    {
      title: "Model usage and cost",
      description:
        "Calls, tokens and cost per role and model from hierocode's persistent usage ledger (all sessions), and each subscription's current message window.",
      inputSchema: z.object({
        since: z.string().optional().describe('a duration ("24h", "7d", "30m") or an ISO date'),
      }),
      outputSchema: usageOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ since }) => reply((await handlers()).usageSummary(deps, since)),
  );

  server.registerTool(
    "submit_task",
    {
      title: "Queue a whole task",
      description:
        "Queue a whole plan → draft → review run (frontier planner and reviewer, local drafter) on a repository. Returns a job_id at once; poll task_status for progress and, when done, the diffs. Nothing is written to the repository.",
      inputSchema: z.object({
        task: z.string().min(1).describe("the task, as you would give it to `hierocode run`"),
        repo_root: z.string().optional().describe("absolute path of the git repository"),
        verify: z.boolean().optional().describe("run the project's tests after the units"),
      }),
      outputSchema: submitOutput,
      annotations: { readOnlyHint: true, idempotentHint: false, openWorldHint: false },
    },
    async ({ task, repo_root, verify }) => {
      return reply(await (await handlers()).submitTask(deps, { task, repo_root, verify }));
    },
  );

  server.registerTool(
    "task_status",
    {
      title: "A queued task's state",
      description:
        "State (queued, running, succeeded, failed, cancelled), progress, and on success the per-file diffs and the summary of a job from submit_task.",
      inputSchema: z.object({ job_id: z.string().min(1) }),
      outputSchema: jobView,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ job_id }) => {
      return reply(await (await handlers()).taskStatus(deps, job_id));
    },
  );
}
