/**
 * `hierocode route explain` and `route replay`: the router's choice for a task with its reasons,
 * and an offline estimate of each policy on the logged units (inverse propensity weighting).
 */
import { resolveRole } from "../config/load.js";
import type { HierocodeConfig } from "../config/schema.js";
import { loadPriceTable } from "../cost/pricing-file.js";
import { ConfigError } from "../errors.js";
import { createProvider } from "../providers/registry.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import { scoreComplexity } from "../routing/complexity.js";
import { openLearningDatabase, outcomeStore } from "../routing/outcome-store.js";
import type { RouteCandidate, RouterMode, RouteUnit } from "../routing/router.js";
import { route } from "../routing/router.js";
import {
  assumedOutputTokens,
  callCost,
  drafterCandidates,
  type ExplainResult,
  explainDecision,
  loadEvidence,
  probeCandidates,
  routeCandidates,
  routerSettings,
  taskSignals,
} from "../routing/routing.js";
import { readResources } from "../system/resources.js";
import { estimateTokens } from "../tokens/heuristic.js";

type Env = Record<string, string | undefined>;

/** Prompt overhead of a drafting call besides the task and the target files (system prompt, format rules). */
const draftPromptOverhead = 600;

export interface ExplainOptions {
  config: HierocodeConfig;
  env: Env;
  repoRoot: string;
  task: string;
  mode?: RouterMode;
  runtime?: Partial<ProviderRuntime>;
  signal?: AbortSignal;
  now?: number;
}

/**
 * Scores the task (with repository signals), probes every drafter candidate's capacity (free
 * calls), and routes it as one unit with the user's logged outcomes as evidence.
 * Errors: ConfigError when no drafter is configured.
 */
export async function explainRoute(options: ExplainOptions): Promise<ExplainResult> {
  const { config, env } = options;
  const runtime: ProviderRuntime = { env, ...(options.runtime ?? {}) };
  const list = drafterCandidates(config, runtime);
  if (list.length === 0)
    throw new ConfigError("no drafter is configured (routing.drafter)", [], {
      hint: "run `hierocode init --wizard`, or `hierocode models set drafter <model> -p <provider>`",
    });
  const resources = readResources(env);
  const memory = {
    totalRamBytes: resources.totalRamBytes,
    vramBytes: Math.max(0, ...resources.gpus.map((gpu) => gpu.vramBytes)),
  };
  const probed = await probeCandidates(list, {
    config,
    memory,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const { signals, kind } = taskSignals(options.repoRoot, options.task);
  const score = scoreComplexity(options.task, signals);
  const promptTokens = draftPromptOverhead + estimateTokens(options.task) + (signals.targetTokens ?? 0);
  const prices = loadPriceTable({
    env,
    ...(config.pricing_file ? { pricingFile: config.pricing_file } : {}),
  }).table;
  const candidates = routeCandidates(probed, promptTokens, prices);
  const settings = routerSettings(
    config,
    fallbackCost(config, runtime, promptTokens, prices, candidates),
    options.mode,
  );
  const unit: RouteUnit = {
    id: "task",
    complexity: score,
    kind,
    promptTokens,
    files: Math.max(1, signals.targetFiles ?? 1),
  };
  const decision = route(unit, candidates, settings, loadEvidence(env, config, options.now), options.task);
  return explainDecision(decision, score, kind, promptTokens);
}

/**
 * The cost of a failed draft: the planner drafts the unit itself (escalation). Without a planner,
 * the most expensive candidate's cost stands in.
 */
export function fallbackCost(
  config: HierocodeConfig,
  runtime: ProviderRuntime,
  promptTokens: number,
  prices: import("../cost/price-table.js").PriceTable,
  candidates: RouteCandidate[],
) {
  const planner = resolveRole(config, "planner");
  const providerConfig = planner ? config.providers[planner.provider] : undefined;
  if (planner && providerConfig) {
    const provider = createProvider(planner.provider, providerConfig, runtime);
    const cost = callCost(provider, planner.model, promptTokens, assumedOutputTokens, prices);
    // The failed draft's review plus the planner's own draft.
    return { usd: cost.usd * 2, seconds: cost.seconds * 2, messages: cost.messages * 2 };
  }
  const worst = candidates.reduce((best, candidate) =>
    candidate.cost.usd + candidate.cost.seconds > best.cost.usd + best.cost.seconds ? candidate : best,
  );
  return worst.cost;
}

export interface ReplayResult {
  policy: RouterMode;
  logged: number;
  /** Logged units whose chosen candidate this policy would also choose with positive probability. */
  matched: number;
  /** IPW estimate of the success rate per unit (0–1). */
  success_rate: number | null;
  /** IPW estimate of the weighted cost per unit (cost units). */
  cost_per_unit: number | null;
  cost_per_success: number | null;
  /** Effective sample size of the importance weights. */
  effective_units: number;
}

interface LoggedCandidate extends RouteCandidate {}

/**
 * Inverse propensity weighting: for each logged decision with a known outcome, weight =
 * π_policy(chosen | unit) / π_logged(chosen); the policy's value is Σ w·r / Σ w (self-normalised).
 * Rewards: success (the effective one), and the realised cost (own cost, plus the fallback when
 * it failed). Evidence for `learned` is the whole log (an optimistic estimate for it).
 * Source: Horvitz & Thompson 1952; self-normalised IPW as in Swaminathan & Joachims 2015.
 */
export function replayPolicies(options: {
  config: HierocodeConfig;
  env: Env;
  policies: RouterMode[];
  since?: number;
  now?: number;
}): ReplayResult[] {
  const store = outcomeStore(openLearningDatabase(options.env));
  const outcomes = new Map(
    store
      .list(options.since !== undefined ? { since: options.since } : {})
      .map((row) => [`${row.runId}/${row.unitId}`, row]),
  );
  const decisions = store.decisions(options.since !== undefined ? { since: options.since } : {});
  const evidence = loadEvidence(options.env, options.config, options.now);
  return options.policies.map((policy) => {
    let weightSum = 0;
    let weightSquares = 0;
    let successSum = 0;
    let costSum = 0;
    let logged = 0;
    let matched = 0;
    for (const decision of decisions) {
      const outcome = outcomes.get(`${decision.runId}/${decision.unitId}`);
      if (!outcome || decision.propensity <= 0) continue;
      logged++;
      const stored = decision.candidates as { list: LoggedCandidate[]; fallbackCost: number };
      const unit = decision.unit as RouteUnit;
      if (!Array.isArray(stored.list) || stored.list.length === 0) continue;
      const settings = {
        ...routerSettings(options.config, { usd: 0, seconds: 0, messages: 0 }, policy),
        fallbackCost: stored.fallbackCost,
      };
      const target = route(unit, stored.list, settings, evidence, decision.runId);
      const index = stored.list.findIndex(
        (candidate) => candidate.provider === decision.provider && candidate.model === decision.model,
      );
      const probability = target.candidates[index]?.propensity ?? 0;
      if (probability <= 0) continue;
      matched++;
      const weight = probability / decision.propensity;
      const success = outcome.userSuccess ?? outcome.autoSuccess;
      const chosen = stored.list[index] as LoggedCandidate;
      const own =
        settings.weights.usd * chosen.cost.usd +
        settings.weights.seconds * chosen.cost.seconds +
        settings.weights.messages * chosen.cost.messages;
      weightSum += weight;
      weightSquares += weight * weight;
      successSum += weight * (success ? 1 : 0);
      costSum += weight * (own + (success ? 0 : stored.fallbackCost));
    }
    const round = (value: number) => Math.round(value * 10_000) / 10_000;
    const successRate = weightSum > 0 ? successSum / weightSum : null;
    const costPerUnit = weightSum > 0 ? costSum / weightSum : null;
    return {
      policy,
      logged,
      matched,
      success_rate: successRate === null ? null : round(successRate),
      cost_per_unit: costPerUnit === null ? null : round(costPerUnit),
      cost_per_success: successRate && costPerUnit !== null ? round(costPerUnit / successRate) : null,
      effective_units: weightSquares > 0 ? round((weightSum * weightSum) / weightSquares) : 0,
    };
  });
}
