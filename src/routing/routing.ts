/**
 * The router wired to a configuration and a repository: builds the drafter's candidates (own
 * binding first, then `routing.drafter.candidates`) with their capacity profiles and costs,
 * scores a task or unit with repository signals, and asks `route` for a choice using the
 * user-level outcomes as evidence. Used by `hierocode route explain`, `plan`, `estimate` and the
 * run-end outcome logging.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { HierocodeConfig } from "../config/schema.js";
import { findModelPrice, type PriceTable } from "../cost/price-table.js";
import { isSubscriptionType } from "../cost/usage-cost.js";
import { addEvalEvidence } from "../eval/priors.js";
import type { CapacityProfile, HostMemory } from "../pipeline/capacity.js";
import { probeCapacity } from "../pipeline/capacity.js";
import type { PlanUnit } from "../pipeline/plan-schema.js";
import { createProvider } from "../providers/registry.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import type { Provider } from "../providers/spec.js";
import { estimateTokens } from "../tokens/heuristic.js";
import {
  type ComplexityScore,
  languageOf,
  type RepoSignals,
  scoreComplexity,
  type UnitKind,
  unitKindOf,
} from "./complexity.js";
import { openLearningDatabase, outcomeStore } from "./outcome-store.js";
import {
  type CandidateCost,
  type CostWeights,
  classOf,
  type EvidenceTable,
  type RouteCandidate,
  type RouteDecision,
  type RouterSettings,
  type RouteUnit,
  route,
  weightedCost,
} from "./router.js";

type Env = Record<string, string | undefined>;

/**
 * Speed assumptions for the seconds part of a unit's cost when nothing was measured yet:
 * local models read 400 and write 25 tokens/s, remote ones read 3000 and write 80 tokens/s.
 */
export const assumedSpeed = {
  local: { read: 400, write: 25 },
  remote: { read: 3000, write: 80 },
};
/** Output tokens a drafted unit is assumed to take when the plan does not say. */
export const assumedOutputTokens = 800;

/** Dollars, seconds and messages of one call of `model` with this many tokens in and out. */
export function callCost(
  provider: Pick<Provider, "type" | "local">,
  model: string,
  inputTokens: number,
  outputTokens: number,
  prices: PriceTable,
): CandidateCost {
  const speed = provider.local ? assumedSpeed.local : assumedSpeed.remote;
  const seconds = inputTokens / speed.read + outputTokens / speed.write;
  if (provider.local) return { usd: 0, seconds, messages: 0 };
  if (isSubscriptionType(provider.type)) return { usd: 0, seconds, messages: 1 };
  const price = findModelPrice(prices, model);
  const usd = price ? (inputTokens * price.input + outputTokens * price.output) / 1e6 : 0;
  return { usd, seconds, messages: 0 };
}

export interface CandidateRuntime {
  candidate: RouteCandidate;
  provider: Provider;
  profile?: CapacityProfile;
}

/** The drafter's binding plus its configured candidates (duplicates dropped), providers created once. */
export function drafterCandidates(
  config: HierocodeConfig,
  runtime: ProviderRuntime,
): Array<{ providerName: string; model: string; provider: Provider }> {
  const drafter = config.routing.drafter;
  if (!drafter) return [];
  const built = new Map<string, Provider>();
  const seen = new Set<string>();
  const list: Array<{ providerName: string; model: string; provider: Provider }> = [];
  for (const binding of [
    { provider: drafter.provider, model: drafter.model },
    ...(drafter.candidates ?? []),
  ]) {
    const key = `${binding.provider}/${binding.model}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const providerConfig = config.providers[binding.provider];
    if (!providerConfig) continue;
    let provider = built.get(binding.provider);
    if (!provider) {
      provider = createProvider(binding.provider, providerConfig, runtime);
      built.set(binding.provider, provider);
    }
    list.push({ providerName: binding.provider, model: binding.model, provider });
  }
  return list;
}

/** A drafter candidate after probing: its profile, or why it cannot be used at all. */
export interface ProbedCandidate {
  providerName: string;
  model: string;
  provider: Provider;
  profile?: CapacityProfile;
  /** Set when pre-flight found it unusable (server down, model missing, CLI logged out). */
  unavailable?: string;
}

/** Probes each candidate's capacity (free calls) so the guards use its real context. */
export async function probeCandidates(
  list: Array<{ providerName: string; model: string; provider: Provider }>,
  options: { config: HierocodeConfig; memory: HostMemory; signal?: AbortSignal },
): Promise<Array<{ providerName: string; model: string; provider: Provider; profile: CapacityProfile }>> {
  return Promise.all(
    list.map(async (item) => {
      const pinned = options.config.providers[item.providerName]?.num_ctx;
      const profile = await probeCapacity(item.provider, item.model, {
        memory: options.memory,
        ...(pinned ? { numCtxOverride: pinned } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { ...item, profile };
    }),
  );
}

/** Route candidates with costs for a unit of `promptTokens` tokens. */
export function routeCandidates(
  probed: ProbedCandidate[],
  promptTokens: number,
  prices: PriceTable,
): RouteCandidate[] {
  return probed.map((item, index) => {
    const failed =
      item.unavailable ?? item.profile?.notes.find((note) => note.startsWith("capacity probe failed"));
    return {
      // The role's own drafter (index 0) was checked by preflight; another candidate whose probe
      // failed (server down, model missing) is not offered.
      ...(failed && index > 0 ? { unavailable: failed } : {}),
      provider: item.providerName,
      model: item.model,
      local: item.provider.local,
      class: classOf(item.model, item.provider.local),
      ...(item.profile
        ? { maxInputTokens: item.profile.maxInputTokens, maxFilesPerUnit: item.profile.maxFilesPerUnit }
        : {}),
      cost: callCost(
        item.provider,
        item.model,
        promptTokens,
        Math.min(item.profile?.maxOutputTokens ?? assumedOutputTokens, assumedOutputTokens),
        prices,
      ),
    };
  });
}

/** Router settings from the config; the fallback is the planner drafting the unit itself. */
export function routerSettings(
  config: HierocodeConfig,
  fallback: CandidateCost,
  mode?: RouterSettings["mode"],
): RouterSettings {
  const weights: CostWeights = config.router.weights;
  return {
    mode: mode ?? config.router.mode,
    seed: config.router.seed,
    exploration: config.router.exploration,
    weights,
    fallbackCost: weightedCost(fallback, weights),
  };
}

const skipDirectories = new Set([
  ".git",
  "node_modules",
  ".haco",
  "dist",
  "build",
  ".venv",
  "venv",
  "target",
]);

/** True when the repository has tests: a test folder or a *_test / *.test.* / test_* file (2 levels deep). */
export function repoHasTests(repoRoot: string): boolean {
  const walk = (folder: string, depth: number): boolean => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        if (skipDirectories.has(entry.name)) continue;
        if (/^(tests?|__tests__|spec)$/i.test(entry.name)) return true;
        if (depth < 2 && walk(join(folder, entry.name), depth + 1)) return true;
      } else if (/([._-](test|spec)\.[a-z]+$)|(^test_.+\.py$)/i.test(entry.name)) return true;
    }
    return false;
  };
  return walk(repoRoot, 0);
}

/** Estimated tokens of an existing repository file; undefined when it is missing or outside the repository. */
export function fileTokens(repoRoot: string, path: string): number | undefined {
  const full = resolve(repoRoot, path);
  if (relative(repoRoot, full).startsWith("..")) return undefined;
  try {
    if (!statSync(full).isFile()) return undefined;
    return estimateTokens(readFileSync(full, "utf8"));
  } catch {
    return undefined;
  }
}

/** Repository signals of a plan unit (target sizes read from disk). */
export function unitSignals(repoRoot: string, unit: PlanUnit, testsPresent: boolean): RepoSignals {
  const sizes = unit.target_files
    .filter((file) => !unit.new_files.includes(file))
    .map((file) => fileTokens(repoRoot, file) ?? 0);
  const language = unit.target_files.map(languageOf).find((value) => value !== undefined);
  return {
    targetFiles: unit.target_files.length,
    contextFiles: unit.context_files.length,
    ...(sizes.length > 0 ? { targetTokens: Math.max(...sizes) } : {}),
    newFilesOnly: unit.target_files.every((file) => unit.new_files.includes(file)),
    ...(language ? { language } : {}),
    testsPresent,
  };
}

/** Scores a plan unit: its goal plus repository signals. */
export function scoreUnit(repoRoot: string, unit: PlanUnit, testsPresent: boolean): ComplexityScore {
  return scoreComplexity(unit.goal, unitSignals(repoRoot, unit, testsPresent));
}

/**
 * Repository signals of a task before it is planned: the existing files it names (paths with a
 * slash or an extension), their largest size, language, new-vs-edit and whether tests exist.
 */
export function taskSignals(
  repoRoot: string,
  task: string,
): { signals: RepoSignals; files: string[]; kind: UnitKind } {
  const named = [...new Set(task.match(/[\w./-]+\.[A-Za-z0-9]+\b/g) ?? [])].filter(
    (path) => !/^\d+(\.\d+)+$/.test(path) && !/^https?:/.test(path),
  );
  const existing = named.filter((path) => fileTokens(repoRoot, path) !== undefined);
  const sizes = existing.map((path) => fileTokens(repoRoot, path) ?? 0);
  const language = named.map(languageOf).find((value) => value !== undefined);
  const newFilesOnly = named.length > 0 && existing.length === 0;
  const testsPresent = repoHasTests(repoRoot);
  const signals: RepoSignals = {
    targetFiles: named.length,
    ...(sizes.length > 0 ? { targetTokens: Math.max(...sizes) } : {}),
    ...(named.length > 0 ? { newFilesOnly } : {}),
    ...(language ? { language } : {}),
    testsPresent,
  };
  const kind = unitKindOf({ goal: task, target_files: named, new_files: newFilesOnly ? named : [] });
  return { signals, files: existing, kind };
}

export interface ExplainResult {
  complexity: number;
  band: string;
  kind: UnitKind;
  features: ComplexityScore["features"];
  mode: RouterSettings["mode"];
  model: string;
  provider: string;
  reason: string;
  prompt_tokens: number;
  candidates: Array<{
    provider: string;
    model: string;
    class: string;
    eligible: boolean;
    excluded?: string;
    p_success: number;
    expected_cost: number;
    own_cost: number;
    evidence: number;
    propensity: number;
  }>;
}

/** The explain shape of a decision (what `route explain --json` prints besides `ok`). */
export function explainDecision(
  decision: RouteDecision,
  score: ComplexityScore,
  kind: UnitKind,
  promptTokens: number,
): ExplainResult {
  return {
    complexity: score.score,
    band: score.band,
    kind,
    features: score.features,
    mode: decision.mode,
    model: decision.chosen.model,
    provider: decision.chosen.provider,
    reason: decision.reason,
    prompt_tokens: promptTokens,
    candidates: decision.candidates.map((row) => ({
      provider: row.provider,
      model: row.model,
      class: row.class,
      eligible: row.eligible,
      ...(row.excluded ? { excluded: row.excluded } : {}),
      p_success: row.p_success,
      expected_cost: row.expected_cost,
      own_cost: row.own_cost,
      evidence: Math.round(row.posterior.evidence * 100) / 100,
      propensity: row.propensity,
    })),
  };
}

/** Decayed evidence from the user-level store. */
export function loadEvidence(env: Env, config: HierocodeConfig, now = Date.now()): EvidenceTable {
  const table = outcomeStore(openLearningDatabase(env)).evidence({
    now,
    halfLifeDays: config.router.half_life_days,
  });
  // Each model's latest `hierocode eval run` is a prior: a few pseudo-units in the small-edit cell.
  return addEvalEvidence(table, env);
}

export interface RouteUnitInput {
  id: string;
  score: ComplexityScore;
  kind: UnitKind;
  promptTokens: number;
  files: number;
}

export function toRouteUnit(input: RouteUnitInput): RouteUnit {
  return {
    id: input.id,
    complexity: input.score,
    kind: input.kind,
    promptTokens: input.promptTokens,
    files: input.files,
  };
}

/** Exists so callers need one import: route a unit with the given candidates and evidence. */
export function decide(
  unit: RouteUnit,
  candidates: RouteCandidate[],
  settings: RouterSettings,
  evidence: EvidenceTable,
  salt: string,
): RouteDecision {
  return route(unit, candidates, settings, evidence, salt);
}
