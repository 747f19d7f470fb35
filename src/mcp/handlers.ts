/**
 * The MCP tools' work (see tools.ts for their schemas): loaded on the first tool call so that
 * `tools/list` answers without loading the pipeline.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type * as z from "zod/v4";
import { draftFile } from "../app/draft.js";
import { recoverRepository } from "../app/recover.js";
import { roleRuntimes } from "../app/run.js";
import { parseSince, usageReport } from "../app/usage.js";
import { createDraftChecker } from "../checks/index.js";
import { loadConfigOrThrow, resolveRole } from "../config/load.js";
import type { HierocodeConfig } from "../config/schema.js";
import { probeCapacity } from "../pipeline/capacity.js";
import { eventMessage } from "../queue/execute.js";
import { type Job, progressView } from "../queue/types.js";
import { ignoreLogFolder } from "../store/run-log.js";
import { readResources } from "../system/resources.js";
import { type ToolErrorShape, toolErrorOf } from "./errors.js";
import { containedPath, resolveRepoRoot } from "./paths.js";
import {
  diffSizeCap,
  type drafterInfoOutput,
  type draftOutput,
  errorTypes,
  type jobView,
  type McpToolDeps,
  type submitOutput,
  type usageOutput,
} from "./tools.js";

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
    progress: progressView(job.progress),
    summary: job.result?.summary ?? null,
    diffs: job.result?.diffs ?? [],
    units: job.result?.units ?? [],
    ...(job.error
      ? {
          error: {
            ...job.error,
            type: (errorTypes as readonly string[]).includes(job.error.type)
              ? (job.error.type as ToolErrorShape["type"])
              : "internal",
          },
        }
      : {}),
  };
}

function loadConfig(deps: McpToolDeps, repoRoot?: string): HierocodeConfig {
  return loadConfigOrThrow({ env: deps.env, ...(repoRoot ? { repoRoot } : {}) }).config;
}

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
    // A write a killed hierocode left half done is finished or rolled back before the tree is read.
    const recovered = recoverRepository(root, deps.env);
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
      warnings: [...recovered, ...(packed?.notes ?? [])],
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

/** drafter_info's work: the drafter's binding, its capacity probe, and whether its server answers (10 s). */
export async function drafterInfo(
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

/** usage_summary's work: the persistent ledger since `since` ("24h", a date), per role and model. */
export function usageSummary(deps: McpToolDeps, since: string | undefined): z.infer<typeof usageOutput> {
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

/** submit_task's work: queue the run (the pool picks it up). */
export async function submitTask(
  deps: McpToolDeps,
  args: { task: string; repo_root?: string | undefined; verify?: boolean | undefined },
): Promise<z.infer<typeof submitOutput>> {
  try {
    const repo = resolveRepoRoot(args.repo_root, deps.cwd);
    // Repaired here (the caller may read the tree next) and again when a worker runs the job.
    recoverRepository(repo, deps.env);
    const { queue, wake } = await deps.jobs();
    const { job, existing } = await queue.submit({
      task: args.task,
      repo,
      ...(args.verify ? { verify: true } : {}),
    });
    wake();
    return { status: "ok", job_id: job.id, existing };
  } catch (error) {
    return { status: "error", job_id: null, existing: false, error: errorOf(error) };
  }
}

/** task_status's work. */
export async function taskStatus(deps: McpToolDeps, id: string): Promise<JobView> {
  try {
    const { queue, wake } = await deps.jobs();
    wake();
    return viewJob(id, await queue.get(id));
  } catch (error) {
    return { ...viewJob(id, undefined), error: errorOf(error) };
  }
}
