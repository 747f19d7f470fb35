/** Capacity probe, repository skeleton and plan (cached) — shared by `plan` and `run`. */

import type { Capacity } from "../providers/spec.js";
import { defaultMapTokens } from "../repo/repo-map.js";
import { tokenCounterFor } from "../tokens/index.js";
import { type CapacityProfile, chooseNumCtx, probeCapacity } from "./capacity.js";
import type { PipelineRole } from "./events.js";
import { ModelCaller, type RoleRuntime, type RoleTotals } from "./model-call.js";
import type { PipelineDeps, PipelineOptions, PreparedPlan } from "./pipeline-types.js";
import { obtainPlan, planCacheKey } from "./planner.js";
import { systemClock, type TokenCounter } from "./ports.js";

/**
 * The planner's capacity as its backend reports it (`/api/show`, `/v1/models/{id}`, or the CLIs'
 * catalogue; free), or undefined when it cannot say within 10 s.
 */
async function plannerCapacity(planner: RoleRuntime, signal?: AbortSignal): Promise<Capacity | undefined> {
  try {
    return await planner.provider.capacity?.(planner.model, {
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000),
    });
  } catch {
    return undefined;
  }
}

/**
 * The repository map's budget when none is given: an eighth of the planner's context window,
 * between 1,024 and 8,192 tokens (4,096 when the provider cannot say). Asking costs nothing
 * (`/api/show`, `/v1/models/{id}`, or the CLIs' catalogue).
 */
export async function plannerMapTokens(planner: RoleRuntime, signal?: AbortSignal): Promise<number> {
  return defaultMapTokens((await plannerCapacity(planner, signal))?.contextLength);
}

/**
 * The map's budget (as `plannerMapTokens`) and the counter it is measured with: the planner's
 * own (the map is the planner's input, its budget a share of the planner's window), picked by
 * model name or the family its backend reports. Counting the map with the drafter's tokenizer
 * both mismeasured it and made every run load that tokenizer (~0.75 s for Qwen's) before the
 * planner's call.
 */
export async function plannerMapBudget(
  planner: RoleRuntime,
  signal?: AbortSignal,
): Promise<{ tokens: number; counter: TokenCounter }> {
  const capacity = await plannerCapacity(planner, signal);
  return {
    tokens: defaultMapTokens(capacity?.contextLength),
    counter: tokenCounterFor(planner.model, capacity?.family),
  };
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

/** One model's context for the run, as chosen before its first call. */
export interface FixedContext {
  provider: string;
  model: string;
  roles: PipelineRole[];
  numCtx: number;
  /** The model's window when the server told us. */
  window?: number;
  notes: string[];
}

/**
 * Chooses one `num_ctx` per Ollama model before the first call and fixes it on the caller, so
 * every call to that model — planner, drafter, reviewer, in parallel or not — sends the same
 * value and Ollama never reloads the runner mid-run (server/sched.go `needsReload`). The
 * drafter's comes from its capacity profile; a planner/reviewer on another Ollama model gets
 * its own (window and memory cap, a loaded runner's context, or the provider's pin).
 */
export async function fixRunContexts(
  deps: Pick<PipelineDeps, "roles" | "counter" | "memory" | "signal" | "emit" | "log">,
  caller: ModelCaller,
  profile: CapacityProfile,
): Promise<FixedContext[]> {
  const fixed = new Map<string, FixedContext>();
  const roles: PipelineRole[] = ["drafter", "planner", "reviewer"];
  for (const role of roles) {
    const binding = deps.roles[role];
    if (binding.provider.type !== "ollama") continue;
    const key = `${binding.providerName}\u0000${binding.model}`;
    const known = fixed.get(key);
    if (known) {
      known.roles.push(role);
      continue;
    }
    let entry: FixedContext;
    if (role === "drafter") {
      entry = {
        provider: binding.providerName,
        model: binding.model,
        roles: [role],
        numCtx: profile.numCtx,
        ...(profile.contextLength !== undefined ? { window: profile.contextLength } : {}),
        notes: [...profile.notes],
      };
      caller.fixContext(binding.providerName, binding.model, {
        numCtx: profile.numCtx,
        counter: deps.counter,
      });
    } else {
      let capacity: Capacity = { model: binding.model };
      try {
        capacity =
          (await binding.provider.capacity?.(binding.model, deps.signal ? { signal: deps.signal } : {})) ??
          capacity;
      } catch (error) {
        if (deps.signal?.aborted) throw error;
      }
      const chosen = chooseNumCtx(capacity, {
        memory: deps.memory,
        ...(binding.pinnedNumCtx ? { pinned: binding.pinnedNumCtx } : {}),
      });
      entry = {
        provider: binding.providerName,
        model: binding.model,
        roles: [role],
        numCtx: chosen.numCtx,
        ...(capacity.contextLength !== undefined ? { window: capacity.contextLength } : {}),
        notes: chosen.notes,
      };
      caller.fixContext(binding.providerName, binding.model, {
        numCtx: chosen.numCtx,
        counter: tokenCounterFor(binding.model, capacity.family),
      });
    }
    fixed.set(key, entry);
  }
  const contexts = [...fixed.values()];
  if (contexts.length > 0) {
    deps.emit?.({ type: "contexts", contexts });
    deps.log?.append({ type: "contexts", contexts });
  }
  return contexts;
}

/** Capacity probe, skeleton and plan (from the cache when possible). Used by `plan` and `run`. */
export async function preparePlan(
  deps: PipelineDeps,
  options: Pick<PipelineOptions, "task" | "policy" | "skeletonTokens" | "refreshPlan" | "numCtx">,
  caller: ModelCaller,
): Promise<PreparedPlan> {
  const drafter = deps.roles.drafter;
  // The free probes of the drafter and the planner are independent: ask both at once.
  const [profile, mapBudget] = await Promise.all([
    probeCapacity(drafter.provider, drafter.model, {
      memory: deps.memory,
      exactTokens: deps.counter.exact,
      ...(options.numCtx || drafter.pinnedNumCtx
        ? { numCtxOverride: options.numCtx ?? (drafter.pinnedNumCtx as number) }
        : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
    }),
    plannerMapBudget(deps.roles.planner, deps.signal),
  ]);
  deps.emit?.({ type: "capacity", profile });
  deps.log?.append({ type: "capacity", profile });
  await fixRunContexts(deps, caller, profile);
  const skeleton = await deps.repo.buildSkeleton({
    tokens: options.skeletonTokens ?? mapBudget.tokens,
    task: options.task,
    counter: mapBudget.counter,
  });
  const key = planCacheKey({
    task: options.task,
    skeleton,
    planner: { provider: deps.roles.planner.providerName, model: deps.roles.planner.model },
    drafter: { provider: drafter.providerName, model: drafter.model },
    profile,
    maxUnits: options.policy.maxUnits,
    ...(deps.plannerMemory ? { memory: deps.plannerMemory.text } : {}),
  });
  if (deps.plannerMemory) {
    const { notes, tokens } = deps.plannerMemory;
    deps.log?.append({ type: "memory", notes, tokens, text: deps.plannerMemory.text });
  }
  const known = new Set(deps.repo.listFiles());
  const { plan, fromCache } = await obtainPlan(
    {
      caller,
      counter: deps.counter,
      ...(deps.packer ? { excerpts: true } : {}),
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
      ...(deps.plannerMemory ? { memory: deps.plannerMemory.text } : {}),
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
