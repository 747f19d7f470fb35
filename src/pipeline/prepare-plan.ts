/** Capacity probe, repository skeleton and plan (cached) — shared by `plan` and `run`. */

import { defaultMapTokens } from "../repo/repo-map.js";
import { probeCapacity } from "./capacity.js";
import type { PipelineRole } from "./events.js";
import { ModelCaller, type RoleRuntime, type RoleTotals } from "./model-call.js";
import type { PipelineDeps, PipelineOptions, PreparedPlan } from "./pipeline-types.js";
import { obtainPlan, planCacheKey } from "./planner.js";
import { systemClock } from "./ports.js";

/**
 * The repository map's budget when none is given: an eighth of the planner's context window,
 * between 1,024 and 8,192 tokens (4,096 when the provider cannot say). Asking costs nothing
 * (`/api/show`, `/v1/models/{id}`, or the CLIs' catalogue).
 */
export async function plannerMapTokens(planner: RoleRuntime, signal?: AbortSignal): Promise<number> {
  let window: number | undefined;
  try {
    const capacity = await planner.provider.capacity?.(planner.model, {
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000),
    });
    window = capacity?.contextLength;
  } catch {
    window = undefined;
  }
  return defaultMapTokens(window);
}

export function callerFor(
  deps: PipelineDeps,
  options: { runId: string; callTimeoutMs?: number },
): ModelCaller {
  return new ModelCaller({
    runId: options.runId,
    roles: deps.roles,
    repoRoot: deps.repo.root,
    priceTable: deps.priceTable,
    clock: deps.clock ?? systemClock,
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.ledger ? { ledger: deps.ledger } : {}),
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.emit ? { emit: deps.emit } : {}),
    ...(options.callTimeoutMs ? { timeoutMs: options.callTimeoutMs } : {}),
    ...(deps.vault ? { vault: deps.vault } : {}),
  });
}

/** Capacity probe, skeleton and plan (from the cache when possible). Used by `plan` and `run`. */
export async function preparePlan(
  deps: PipelineDeps,
  options: Pick<PipelineOptions, "task" | "policy" | "skeletonTokens" | "refreshPlan" | "numCtx">,
  caller: ModelCaller,
): Promise<PreparedPlan> {
  const drafter = deps.roles.drafter;
  const profile = await probeCapacity(drafter.provider, drafter.model, {
    memory: deps.memory,
    exactTokens: deps.counter.exact,
    ...(options.numCtx ? { numCtxOverride: options.numCtx } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  deps.emit?.({ type: "capacity", profile });
  deps.log?.append({ type: "capacity", profile });
  const skeleton = await deps.repo.buildSkeleton({
    tokens: options.skeletonTokens ?? (await plannerMapTokens(deps.roles.planner, deps.signal)),
    task: options.task,
    counter: deps.counter,
  });
  const key = planCacheKey({
    task: options.task,
    skeleton,
    planner: { provider: deps.roles.planner.providerName, model: deps.roles.planner.model },
    drafter: { provider: drafter.providerName, model: drafter.model },
    profile,
    maxUnits: options.policy.maxUnits,
  });
  const known = new Set(deps.repo.listFiles());
  const { plan, fromCache } = await obtainPlan(
    {
      caller,
      counter: deps.counter,
      fileExists: (path) => known.has(path) || deps.repo.readFile(path) !== null,
      readFile: deps.repo.readFile,
      ...(deps.emit ? { emit: deps.emit } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    },
    {
      task: options.task,
      skeleton,
      profile,
      maxUnits: options.policy.maxUnits,
      key,
      ...(deps.planCache ? { cache: deps.planCache } : {}),
      ...(options.refreshPlan ? { refresh: true } : {}),
      meta: { plannerModel: deps.roles.planner.model, drafterModel: drafter.model },
    },
  );
  return { profile, skeleton, plan, fromCache, key };
}

/** Plans only: the `plan` command. */
export async function planOnly(
  deps: PipelineDeps,
  options: Pick<PipelineOptions, "runId" | "task" | "policy" | "skeletonTokens" | "refreshPlan" | "numCtx">,
): Promise<PreparedPlan & { totals: Record<PipelineRole, RoleTotals> }> {
  const caller = callerFor(deps, options);
  const prepared = await preparePlan(deps, options, caller);
  return { ...prepared, totals: caller.totals };
}
