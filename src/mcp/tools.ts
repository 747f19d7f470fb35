/**
 * The MCP tools (names and parameters compatible with the Python original's `hierocode mcp`):
 * draft_code, drafter_info, usage_summary, submit_task, task_status. Every result carries
 * `structuredContent` matching the tool's `outputSchema`, the same JSON as text, and on failure
 * `status: "error"` with the one error shape `{type, message, suggestion}` (errors.ts).
 * Config is loaded on every call, so an edited ~/.hierocode.yaml applies to the next call.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { McpServer } from "@modelcontextprotocol/server";
import * as z from "zod/v4";
import { draftFile } from "../app/draft.js";
import { roleRuntimes } from "../app/run.js";
import { parseSince, usageReport } from "../app/usage.js";
import { createDraftChecker } from "../checks/index.js";
import { loadConfigOrThrow, resolveRole } from "../config/load.js";
import type { HierocodeConfig } from "../config/schema.js";
import { probeCapacity } from "../pipeline/capacity.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import { eventMessage } from "../queue/execute.js";
import type { Job, JobQueue } from "../queue/types.js";
import { ignoreLogFolder } from "../store/run-log.js";
import { readResources } from "../system/resources.js";
import { type ToolErrorShape, toolErrorOf } from "./errors.js";
import { containedPath, resolveRepoRoot } from "./paths.js";
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

const errorSchema = z.object({
  type: z.enum(["path", "input", "config", "provider", "edit", "cancelled", "internal"]),
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

type JobView = z.infer<typeof jobView>;

/** The task_status view of a job (also used by the service's task endpoints). */
export function viewJob(id: string, job: Job | undefined): JobView {
  if (!job) {
    return {
      status: "error",
      job_id: id,
      state: "unknown",
      attempts: 0,
      progress: null,
      summary: null,
      diffs: [],
      units: [],
      error: { type: "input", message: `no job '${id}'`, suggestion: "use the job_id submit_task returned" },
    };
  }
  return {
    status: job.state === "failed" || job.state === "cancelled" ? "error" : "ok",
    job_id: job.id,
    state: job.state,
    attempts: job.attempts,
    progress: job.progress
      ? {
          message: job.progress.message,
          units_done: job.progress.unitsDone,
          units_total: job.progress.unitsTotal,
          updated_at: new Date(job.progress.updatedAt).toISOString(),
        }
      : null,
    summary: job.result?.summary ?? null,
    diffs: job.result?.diffs ?? [],
    units: job.result?.units ?? [],
    ...(job.error
      ? { error: { ...job.error, type: errorSchema.shape.type.catch("internal").parse(job.error.type) } }
      : {}),
  };
}

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

function loadConfig(deps: McpToolDeps, repoRoot?: string): HierocodeConfig {
  return loadConfigOrThrow({ env: deps.env, ...(repoRoot ? { repoRoot } : {}) }).config;
}

const acceptanceInput = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .describe("what the change must achieve (one criterion or several)");

interface DraftArgs {
  goal: string;
  target_file: string;
  context_files?: string[] | undefined;
  acceptance?: string | string[] | undefined;
  repo_root?: string | undefined;
}

/** draft_code's work: one drafter call through the real drafting path; writes nothing but a big diff under .haco/. */
export async function draftCode(
  deps: McpToolDeps,
  args: DraftArgs,
  signal: AbortSignal | undefined,
  phase: (message: string) => void,
): Promise<z.infer<typeof draftOutput>> {
  const started = Date.now();
  const base: z.infer<typeof draftOutput> = {
    status: "error",
    diff: "",
    drafter_model: "",
    included_files: [],
    skipped_files: [],
    warnings: [],
    checks: [],
    usage: { input_tokens: 0, output_tokens: 0, ms: 0 },
  };
  try {
    const root = resolveRepoRoot(args.repo_root, deps.cwd);
    const target = containedPath(root, args.target_file, "target_file");
    const contextFiles = (args.context_files ?? []).map((file) => containedPath(root, file, "context_files"));
    const config = loadConfig(deps, root);
    const acceptance =
      args.acceptance === undefined
        ? undefined
        : Array.isArray(args.acceptance)
          ? args.acceptance
          : [args.acceptance];
    phase(`drafting ${target}`);
    const { outcome, totals, packed } = await draftFile({
      config,
      env: deps.env,
      repoRoot: root,
      ...(deps.runtime ? { runtime: deps.runtime } : {}),
      task: args.goal,
      file: target,
      contextFiles,
      ...(acceptance ? { acceptance } : {}),
      ...(signal ? { signal } : {}),
      emit: (event) => {
        const message = eventMessage(event);
        if (message) phase(message);
      },
    });
    const drafter = totals.drafter;
    const result: z.infer<typeof draftOutput> = {
      ...base,
      drafter_model: roleModel(config),
      included_files: packed?.files ?? [],
      skipped_files: contextFiles.filter((file) => packed && !packed.files.includes(file)),
      warnings: [...(packed?.notes ?? [])],
      usage: {
        input_tokens:
          drafter.usage.inputTokens + drafter.usage.cacheReadTokens + drafter.usage.cacheWriteTokens,
        output_tokens: drafter.usage.outputTokens,
        ms: 0,
      },
    };
    if (outcome.ok) {
      phase("checking the draft");
      const findings = await createDraftChecker().check(root, outcome.changes);
      result.checks = findings.map((finding) => ({
        check: finding.check,
        severity: finding.severity,
        file: finding.file,
        ...(finding.line !== undefined ? { line: finding.line } : {}),
        message: finding.message,
      }));
      result.status = "ok";
      if (outcome.diff.length > diffSizeCap) {
        ignoreLogFolder(root);
        const folder = join(root, ".haco", "mcp");
        mkdirSync(folder, { recursive: true });
        const path = join(folder, `draft-${Date.now()}-${process.pid}.diff`);
        writeFileSync(path, outcome.diff);
        result.diff_path = path;
        result.warnings.push(`the diff is ${outcome.diff.length} characters: saved to ${path}`);
      } else {
        result.diff = outcome.diff;
      }
    } else {
      if ("diff" in outcome) result.diff = outcome.diff;
      if ("report" in outcome && outcome.report) result.warnings.push(outcome.report);
      result.error = {
        type: "edit",
        message: `no usable edit: ${outcome.reason}`,
        suggestion:
          outcome.kind === "too-big"
            ? "target a smaller file or pass fewer context_files"
            : "state the goal more precisely, name the function to change, or add context_files",
      };
    }
    result.usage.ms = Date.now() - started;
    return result;
  } catch (error) {
    return { ...base, error: toolErrorOf(error), usage: { ...base.usage, ms: Date.now() - started } };
  }
}

function roleModel(config: HierocodeConfig): string {
  return resolveRole(config, "drafter")?.model ?? "";
}

async function drafterInfo(
  deps: McpToolDeps,
  signal?: AbortSignal,
): Promise<z.infer<typeof drafterInfoOutput>> {
  const empty: z.infer<typeof drafterInfoOutput> = {
    status: "error",
    drafter_model: null,
    provider: null,
    param_count_b: null,
    quantization: null,
    context_window: null,
    num_ctx: null,
    max_input_tokens: null,
    max_output_tokens: null,
    reachable: false,
  };
  try {
    let root: string | undefined;
    try {
      root = resolveRepoRoot(undefined, deps.cwd);
    } catch {
      root = undefined; // not in a repository: user config only
    }
    const config = loadConfig(deps, root);
    const { roles } = roleRuntimes(config, { env: deps.env, ...(deps.runtime ?? {}) });
    const drafter = roles.drafter;
    const timeout = AbortSignal.timeout(10_000);
    const callSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let reachable = true;
    try {
      await drafter.provider.listModels({ signal: callSignal });
    } catch {
      reachable = false;
    }
    const resources = readResources(deps.env);
    const profile = await probeCapacity(drafter.provider, drafter.model, {
      memory: {
        totalRamBytes: resources.totalRamBytes,
        vramBytes: Math.max(0, ...resources.gpus.map((gpu) => gpu.vramBytes)),
      },
      signal: callSignal,
    });
    return {
      status: "ok",
      drafter_model: drafter.model,
      provider: drafter.providerName,
      param_count_b:
        profile.parameterCount !== undefined ? Math.round(profile.parameterCount / 1e8) / 10 : null,
      quantization: profile.quantization ?? null,
      context_window: profile.contextLength ?? null,
      num_ctx: profile.numCtx,
      max_input_tokens: profile.maxInputTokens,
      max_output_tokens: profile.maxOutputTokens,
      reachable,
    };
  } catch (error) {
    return { ...empty, error: toolErrorOf(error) };
  }
}

function usageSummary(deps: McpToolDeps, since: string | undefined): z.infer<typeof usageOutput> {
  try {
    let root: string | undefined;
    try {
      root = resolveRepoRoot(undefined, deps.cwd);
    } catch {
      root = undefined;
    }
    const config = loadConfig(deps, root);
    const sinceMs = since ? parseSince(since, Date.now()) : undefined;
    const report = usageReport({
      env: deps.env,
      config,
      ...(sinceMs !== undefined ? { since: sinceMs } : {}),
    });
    const roles: z.infer<typeof usageOutput>["roles"] = {};
    for (const [role, item] of Object.entries(report.roles)) {
      roles[role] = {
        calls: item.calls,
        input_tokens: item.inputTokens,
        output_tokens: item.outputTokens,
        cost_usd: item.costUsd ?? null,
        subscription_messages: item.subscriptionMessages,
      };
    }
    return {
      status: "ok",
      since: sinceMs !== undefined ? new Date(sinceMs).toISOString() : null,
      runs: report.runs,
      roles,
      models: report.groups.map((group) => ({
        role: group.role,
        provider: group.provider,
        model: group.model,
        calls: group.calls,
        input_tokens: group.inputTokens + group.cacheReadTokens + group.cacheWriteTokens,
        output_tokens: group.outputTokens,
        cost_usd: group.costUsd ?? null,
      })),
      windows: report.windows.map((window) => ({
        plan: window.plan,
        window_hours: window.windowHours,
        messages_per_window: window.messagesPerWindow,
        used: window.used,
        frees_at: window.frees !== undefined ? new Date(window.frees).toISOString() : null,
      })),
    };
  } catch (error) {
    return {
      status: "error",
      since: null,
      runs: 0,
      roles: {},
      models: [],
      windows: [],
      error: toolErrorOf(error),
    };
  }
}

function errorOf(error: unknown): ToolErrorShape {
  return toolErrorOf(error);
}

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
        return reply(await draftCode(deps, args, ctx.mcpReq.signal, (message) => progress.phase(message)));
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
    async (ctx) => reply(await drafterInfo(deps, ctx.mcpReq.signal)),
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
    async ({ since }) => reply(usageSummary(deps, since)),
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
      try {
        const repo = resolveRepoRoot(repo_root, deps.cwd);
        const { queue, wake } = await deps.jobs();
        const { job, existing } = await queue.submit({ task, repo, ...(verify ? { verify } : {}) });
        wake();
        return reply({ status: "ok" as const, job_id: job.id, existing });
      } catch (error) {
        return reply({ status: "error" as const, job_id: null, existing: false, error: errorOf(error) });
      }
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
      try {
        const { queue, wake } = await deps.jobs();
        wake();
        return reply(viewJob(job_id, await queue.get(job_id)));
      } catch (error) {
        return reply({ ...viewJob(job_id, undefined), error: errorOf(error) });
      }
    },
  );
}
