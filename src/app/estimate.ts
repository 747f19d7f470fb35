/**
 * `hierocode estimate` / `run --estimate`: what a run would cost before anything is spent. Only
 * free calls are made (the drafter's capacity probe); a cached plan gives the exact unit count.
 */
import { type Estimate, estimateRun } from "../cost/estimate.js";
import { type CapacityProfile, probeCapacity } from "../pipeline/capacity.js";
import type { PipelineRole } from "../pipeline/events.js";
import { planCacheKey } from "../pipeline/planner.js";
import { plannerMapTokens } from "../pipeline/prepare-plan.js";
import { type ComplexityScore, scoreComplexity } from "../routing/complexity.js";
import { taskSignals } from "../routing/routing.js";
import { openStateDatabase } from "../store/database.js";
import { planCache } from "../store/plan-cache.js";
import { type SetupInput, setupPipeline } from "./run.js";

export interface EstimateTaskOptions extends SetupInput {
  task: string;
  signal?: AbortSignal;
}

export interface EstimateOutcome {
  task: string;
  estimate: Estimate;
  planCached: boolean;
  profile: CapacityProfile;
  roles: Record<PipelineRole, { provider: string; type: string; model: string; local: boolean }>;
  pricingFile?: string;
  /** The task's complexity (0–10) with its features, as the router scores it (src/routing). */
  complexity: ComplexityScore;
}

export async function estimateTask(options: EstimateTaskOptions): Promise<EstimateOutcome> {
  const setup = setupPipeline(options);
  const drafter = setup.roles.drafter;
  const profile = await probeCapacity(drafter.provider, drafter.model, {
    memory: setup.memory,
    exactTokens: setup.counter.exact,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const skeleton = await setup.repo.buildSkeleton({
    tokens: await plannerMapTokens(setup.roles.planner, options.signal),
    task: options.task,
    counter: setup.counter,
  });
  const key = planCacheKey({
    task: options.task,
    skeleton,
    planner: { provider: setup.roles.planner.providerName, model: setup.roles.planner.model },
    drafter: { provider: drafter.providerName, model: drafter.model },
    profile,
    maxUnits: setup.policy.maxUnits,
  });
  const cached = planCache(openStateDatabase(options.env)).get(key);
  const role = (name: PipelineRole) => {
    const runtime = setup.roles[name];
    return { providerType: runtime.provider.type, local: runtime.provider.local, model: runtime.model };
  };
  const estimate = estimateRun(
    {
      task: options.task,
      ...(cached ? { units: cached.units } : {}),
      planCached: cached !== undefined,
      skeletonTokens: skeleton.tokens,
      policy: { ...options.config.policy, review_max_output_tokens: setup.policy.reviewMaxOutputTokens },
      maxUnits: setup.policy.maxUnits,
      drafterInputBudget: profile.maxInputTokens,
      planner: role("planner"),
      drafter: role("drafter"),
      reviewer: role("reviewer"),
    },
    setup.priceTable,
  );
  const roles = {} as EstimateOutcome["roles"];
  for (const name of ["planner", "drafter", "reviewer"] as const) {
    const runtime = setup.roles[name];
    roles[name] = {
      provider: runtime.providerName,
      type: runtime.provider.type,
      model: runtime.model,
      local: runtime.provider.local,
    };
  }
  return {
    task: options.task,
    complexity: scoreComplexity(options.task, taskSignals(options.repoRoot, options.task).signals),
    estimate,
    planCached: cached !== undefined,
    profile,
    roles,
    ...(setup.pricingFile ? { pricingFile: setup.pricingFile } : {}),
  };
}
