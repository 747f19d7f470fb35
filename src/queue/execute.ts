/**
 * Runs one queued job through the same application function as `hierocode run` (src/app/run.ts),
 * without `--apply`: the result is diffs. Run logs go to the state folder (never the working
 * tree). A job leased again after a crash resumes from its run log: no second planner call, no
 * redrafting of finished units (src/pipeline/resume.ts).
 */
import { recoverRepository } from "../app/recover.js";
import { runTask } from "../app/run.js";
import type { HierocodeConfig } from "../config/schema.js";
import { defaultEditEngine } from "../pipeline/edit-engine.js";
import type { PipelineEvent, PipelineRole } from "../pipeline/events.js";
import type { RoleTotals } from "../pipeline/model-call.js";
import type { PipelineResult } from "../pipeline/pipeline.js";
import { resumeFromLog } from "../pipeline/resume.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import { findRunLog, readRunLog } from "../store/run-log.js";
import { verifierForRun } from "../verify/index.js";
import type { Job, JobProgress, JobResult } from "./types.js";

type Env = Record<string, string | undefined>;

export interface ExecuteDeps {
  env: Env;
  /** Config for a repository, re-read for every job (config changes apply to the next job). */
  loadConfig(repoRoot: string): HierocodeConfig;
  runtime?: Partial<ProviderRuntime>;
}

export interface ExecuteHooks {
  signal: AbortSignal;
  onRunId(runId: string): void;
  onProgress(progress: JobProgress): void;
  /** A line for the service's log (e.g. an interrupted write that was repaired first). */
  onWarning?(line: string): void;
}

/** A one-line description of a pipeline event for progress displays, or undefined to skip it. */
export function eventMessage(event: PipelineEvent): string | undefined {
  switch (event.type) {
    case "run-started":
      return event.resumed ? "resuming from the run log" : "planning";
    case "plan-ready":
      return `plan: ${event.plan.units.length} unit(s)${event.fromCache ? " (cached)" : ""}${event.fromLog ? " (from the run log)" : ""}`;
    case "unit-started":
      return `unit ${event.unitId}: ${event.goal}`;
    case "unit-routed":
      return `unit ${event.unitId}: complexity ${event.complexity.toFixed(1)} (${event.band}, ${event.kind})${event.mode === "fixed" ? "" : ` → ${event.provider}/${event.model}`}`;
    case "call-started":
      return `${event.role}: ${event.purpose}${event.unitId ? ` (${event.unitId})` : ""} with ${event.model}`;
    case "verdict":
      return `review of ${event.unitId}: ${event.effectiveAction}`;
    case "redirect":
      return `planner redirect for ${event.unitId}: ${event.direction.split("\n")[0]}`;
    case "unit-finished":
      return `unit ${event.unitId} ${event.status}`;
    case "verify":
      return "verifying";
    case "run-finished":
      return `finished: ${event.accepted} accepted, ${event.failed} failed, ${event.skipped} skipped`;
    default:
      return undefined;
  }
}

/** Whether the job's run log can be resumed (it has a plan and is not finished). */
function resumableRun(job: Job, env: Env): string | undefined {
  if (!job.runId) return undefined;
  const file = findRunLog({ repoRoot: job.input.repo, runId: job.runId, env });
  if (!file) return undefined;
  try {
    const logged = resumeFromLog(readRunLog(file), job.runId);
    return logged.finished ? undefined : job.runId;
  } catch {
    return undefined; // stopped before its plan: start again
  }
}

function usageOf(totals: Record<PipelineRole, RoleTotals>): JobResult["usage"] {
  const usage: JobResult["usage"] = {};
  for (const [role, item] of Object.entries(totals)) {
    usage[role] = {
      calls: item.calls,
      input_tokens: item.usage.inputTokens + item.usage.cacheReadTokens + item.usage.cacheWriteTokens,
      output_tokens: item.usage.outputTokens,
      cost_usd: item.costUsd ?? null,
    };
  }
  return usage;
}

/** The job's result from a finished pipeline run: per-file diffs of the applicable changes. */
export function jobResultOf(result: PipelineResult): JobResult {
  const diffs = result.applicable.map((change) => ({
    file: change.file,
    diff: defaultEditEngine.diff([change]),
  }));
  return {
    runId: result.runId,
    diffs,
    diff: defaultEditEngine.diff(result.applicable),
    units: result.units.map((unit) => ({
      id: unit.id,
      goal: unit.goal,
      status: unit.status,
      ...(unit.reason ? { reason: unit.reason } : {}),
    })),
    usage: usageOf(result.totals),
    summary: `${result.accepted.length} accepted, ${result.failed.length} failed, ${result.skipped.length} skipped; ${diffs.length} file(s) changed${result.resumed ? " (resumed from the run log)" : ""}`,
    resumed: result.resumed,
  };
}

/** Runs a leased job to its result. Throws what runTask throws (the caller records it). */
export async function executeJob(job: Job, deps: ExecuteDeps, hooks: ExecuteHooks): Promise<JobResult> {
  // Like every command that reads a repository: a write a killed hierocode left half done is
  // finished or rolled back first, so the job never plans or drafts against a mixed tree.
  for (const line of recoverRepository(job.input.repo, deps.env)) hooks.onWarning?.(line);
  const loaded = deps.loadConfig(job.input.repo);
  // The service never writes into a working tree: run logs go to the state folder.
  const config: HierocodeConfig = { ...loaded, logs: { ...loaded.logs, location: "state" } };
  const resumeRunId = resumableRun(job, deps.env);
  const progress: JobProgress = {
    message: resumeRunId ? "resuming" : "starting",
    unitsDone: 0,
    unitsTotal: 0,
    updatedAt: Date.now(),
  };
  let topUnits = new Set<string>();
  const emit = (event: PipelineEvent) => {
    if (event.type === "run-started") hooks.onRunId(event.runId);
    if (event.type === "plan-ready") {
      topUnits = new Set(event.plan.units.map((unit) => unit.id));
      progress.unitsTotal = topUnits.size;
    }
    if (event.type === "unit-finished" && topUnits.has(event.unitId)) progress.unitsDone += 1;
    const message = eventMessage(event);
    if (message) {
      progress.message = message;
      progress.updatedAt = Date.now();
      hooks.onProgress({ ...progress });
    }
  };
  const verifier = job.input.verify
    ? await verifierForRun({ repoRoot: job.input.repo, flag: true, policy: config.policy, env: deps.env })
    : undefined;
  const { result } = await runTask({
    config,
    env: deps.env,
    repoRoot: job.input.repo,
    ...(deps.runtime ? { runtime: deps.runtime } : {}),
    ...(resumeRunId ? { resumeRunId } : { task: job.input.task }),
    emit,
    signal: hooks.signal,
    ...(verifier ? { verifier } : {}),
  });
  return jobResultOf(result);
}
