/**
 * The drafter router: picks one candidate model per unit.
 *
 * - `fixed`: always the role's own binding (hierocode's behaviour before routing existed).
 * - `matrix`: the hierarchical-orchestrator seed's table — complexity 0–2 → a local model,
 *   2–4 → a fast API model, 4–7 → a Sonnet-class model, 7+ → an Opus-class model — restricted to
 *   the configured candidates (the nearest class above, then below, when a class has none).
 * - `learned`: per cell (complexity band × unit kind) and candidate a Beta posterior of success;
 *   the choice minimises expected cost = own cost + (1 − p) × fallback cost (the escalation to
 *   the planner). Local candidates are explored by Thompson sampling plus a forced share
 *   `exploration` spread over the eligible local candidates; paid candidates are never explored.
 *
 * Hard guards come first in every mode but `fixed`: the unit's packed prompt must fit the
 * candidate's real input budget (from its capacity profile / num_ctx) and its tier's file limit.
 * Pure: no I/O; every decision carries its propensity (probability of the chosen candidate)
 * so other policies can be evaluated offline from the log (inverse propensity weighting).
 */
import type { ComplexityBand, ComplexityScore, UnitKind } from "./complexity.js";
import { complexityBands } from "./complexity.js";
import { hash32, type Random, sampleBeta, seededRandom } from "./random.js";

export type RouterMode = "fixed" | "matrix" | "learned";
/** Seed table classes, cheapest first. */
export type CandidateClass = "local" | "fast_api" | "sonnet" | "opus";
export const candidateClasses: readonly CandidateClass[] = ["local", "fast_api", "sonnet", "opus"];

export interface RouteCandidate {
  provider: string;
  model: string;
  local: boolean;
  class: CandidateClass;
  /** Input tokens the candidate can take per unit (capacity profile), when known. */
  maxInputTokens?: number;
  /** Files per unit its tier allows, when known. */
  maxFilesPerUnit?: number;
  /** Cost of one unit drafted by this candidate (see `weightedCost`). */
  cost: CandidateCost;
}

export interface CandidateCost {
  usd: number;
  seconds: number;
  /** Subscription messages (claude/codex CLI calls). */
  messages: number;
}

/** How the three cost currencies add up (cost units per dollar / second / message). */
export interface CostWeights {
  usd: number;
  seconds: number;
  messages: number;
}

/** Defaults: a dollar is 1, an hour of drafting 1.80 (0.0005 per second), a subscription message 0.05. */
export const defaultCostWeights: CostWeights = { usd: 1, seconds: 0.0005, messages: 0.05 };

export function weightedCost(cost: CandidateCost, weights: CostWeights): number {
  return cost.usd * weights.usd + cost.seconds * weights.seconds + cost.messages * weights.messages;
}

/** Seed-table class of a model: local when served locally, else by its name. */
export function classOf(model: string, local: boolean): CandidateClass {
  if (local) return "local";
  const name = model.toLowerCase();
  if (/opus|gpt-5(\.\d+)?(-pro)?$|\bo3-pro\b/.test(name)) return "opus";
  if (/sonnet|gpt-4(\.1|o)?$|gpt-5(\.\d+)?-codex|\bo[134]\b/.test(name)) return "sonnet";
  return "fast_api";
}

/** Seed table: band → class. */
export const matrixClass: Record<ComplexityBand, CandidateClass> = {
  trivial: "local",
  simple: "fast_api",
  complex: "sonnet",
  architectural: "opus",
};

export interface RouteUnit {
  id: string;
  complexity: ComplexityScore;
  kind: UnitKind;
  /** Tokens of the unit's packed prompt. */
  promptTokens: number;
  /** Target files. */
  files: number;
}

/** Success evidence of one candidate in one cell, already decayed (weights, not counts). */
export interface Evidence {
  successes: number;
  failures: number;
}

/** cell key (`band/kind`) → candidate key (`provider/model`) → evidence. */
export type EvidenceTable = Map<string, Map<string, Evidence>>;

export function cellKey(band: ComplexityBand, kind: UnitKind): string {
  return `${band}/${kind}`;
}

export function candidateKey(candidate: Pick<RouteCandidate, "provider" | "model">): string {
  return `${candidate.provider}/${candidate.model}`;
}

export interface Posterior {
  alpha: number;
  beta: number;
  mean: number;
  /** Evidence weight in this cell (decayed count of outcomes). */
  evidence: number;
}

/** Prior success rate per class before any outcome or evaluation, in the band the matrix gives it. */
export const classPriors: Record<CandidateClass, number> = {
  local: 0.8,
  fast_api: 0.85,
  sonnet: 0.9,
  opus: 0.95,
};
/** The prior drops by this much per class step below the one the seed's matrix wants for a band. */
const priorStepDown = 0.2;
const priorStrength = 3;
/** At most this many pseudo-units are borrowed from the same band's other unit kinds. */
const poolStrength = 6;

/**
 * The prior mean of a class in a band: "learned starts from the matrix" — the class the seed's
 * table wants (or a stronger one) starts at its class prior, each step below loses 0.2 (floor 0.1).
 */
export function priorMean(cls: CandidateClass, band: ComplexityBand): number {
  const below = candidateClasses.indexOf(matrixClass[band]) - candidateClasses.indexOf(cls);
  return Math.max(0.1, classPriors[cls] - Math.max(0, below) * priorStepDown);
}

/**
 * The Beta posterior of one candidate in one cell: the matrix-shaped prior (`priorMean`,
 * strength 3 pseudo-units), plus evidence from the same band's other unit kinds (partial pooling,
 * at most 6 pseudo-units), plus the cell's own evidence.
 */
export function posteriorFor(
  candidate: RouteCandidate,
  band: ComplexityBand,
  kind: UnitKind,
  evidence: EvidenceTable,
): Posterior {
  const key = candidateKey(candidate);
  const prior = priorMean(candidate.class, band);
  let alpha = prior * priorStrength;
  let beta = (1 - prior) * priorStrength;
  const own = evidence.get(cellKey(band, kind))?.get(key);
  let otherS = 0;
  let otherF = 0;
  for (const [cell, rows] of evidence) {
    if (!cell.startsWith(`${band}/`) || cell === cellKey(band, kind)) continue;
    const row = rows.get(key);
    if (row) {
      otherS += row.successes;
      otherF += row.failures;
    }
  }
  const other = otherS + otherF;
  if (other > 0) {
    const factor = Math.min(1, poolStrength / other);
    alpha += otherS * factor;
    beta += otherF * factor;
  }
  if (own) {
    alpha += own.successes;
    beta += own.failures;
  }
  return {
    alpha,
    beta,
    mean: alpha / (alpha + beta),
    evidence: (own?.successes ?? 0) + (own?.failures ?? 0),
  };
}

export interface RouterSettings {
  mode: RouterMode;
  seed: number;
  /** Forced exploration share of local candidates in learned mode (0–0.5). */
  exploration: number;
  weights: CostWeights;
  /** Weighted cost of the fallback when a draft fails (escalation to the planner). */
  fallbackCost: number;
}

export interface CandidateAssessment {
  provider: string;
  model: string;
  class: CandidateClass;
  eligible: boolean;
  /** Why a guard excluded it. */
  excluded?: string;
  p_success: number;
  /** Own weighted cost + (1 − p) × fallback cost. */
  expected_cost: number;
  own_cost: number;
  posterior: Posterior;
  /** Probability this policy had of choosing it. */
  propensity: number;
}

export interface RouteDecision {
  mode: RouterMode;
  unit: string;
  cell: string;
  chosen: RouteCandidate;
  propensity: number;
  reason: string;
  candidates: CandidateAssessment[];
}

/** Why `candidate` cannot take `unit`, or undefined when it can. */
export function guardFailure(candidate: RouteCandidate, unit: RouteUnit): string | undefined {
  if (candidate.maxInputTokens !== undefined && unit.promptTokens > candidate.maxInputTokens)
    return `prompt ${unit.promptTokens} tokens > input budget ${candidate.maxInputTokens}`;
  if (candidate.maxFilesPerUnit !== undefined && unit.files > candidate.maxFilesPerUnit)
    return `${unit.files} files > tier limit ${candidate.maxFilesPerUnit}`;
  return undefined;
}

function matrixPick(eligible: RouteCandidate[], band: ComplexityBand): RouteCandidate | undefined {
  const wanted = candidateClasses.indexOf(matrixClass[band]);
  const order = [
    ...candidateClasses.slice(wanted),
    ...candidateClasses.slice(0, wanted).reverse(),
  ] as CandidateClass[];
  for (const cls of order) {
    const found = eligible.find((candidate) => candidate.class === cls);
    if (found) return found;
  }
  return undefined;
}

const thompsonDraws = 256;

/**
 * Chooses the drafter of one unit. `candidates[0]` is the role's own binding (the default and
 * `fixed` answer). With no eligible candidate the default is returned with reason saying why
 * (the pipeline's own guards — splitting, escalation — then handle the unit).
 */
export function route(
  unit: RouteUnit,
  candidates: RouteCandidate[],
  settings: RouterSettings,
  evidence: EvidenceTable = new Map(),
  runSalt = "",
): RouteDecision {
  const primary = candidates[0];
  if (!primary) throw new Error("route: no candidates");
  const band = unit.complexity.band;
  const cell = cellKey(band, unit.kind);
  const assessments: CandidateAssessment[] = candidates.map((candidate) => {
    const excluded = guardFailure(candidate, unit);
    const posterior = posteriorFor(candidate, band, unit.kind, evidence);
    const own = weightedCost(candidate.cost, settings.weights);
    return {
      provider: candidate.provider,
      model: candidate.model,
      class: candidate.class,
      eligible: excluded === undefined,
      ...(excluded ? { excluded } : {}),
      p_success: round4(posterior.mean),
      expected_cost: round4(own + (1 - posterior.mean) * settings.fallbackCost),
      own_cost: round4(own),
      posterior,
      propensity: 0,
    };
  });
  const eligible = candidates.filter((_, index) => assessments[index]?.eligible);
  const finish = (chosen: RouteCandidate, reason: string, propensities: number[]): RouteDecision => {
    propensities.forEach((value, index) => {
      const row = assessments[index];
      if (row) row.propensity = round4(value);
    });
    return {
      mode: settings.mode,
      unit: unit.id,
      cell,
      chosen,
      propensity: round4(propensities[candidates.indexOf(chosen)] ?? 1),
      reason,
      candidates: assessments,
    };
  };
  const only = (chosen: RouteCandidate) => candidates.map((candidate) => (candidate === chosen ? 1 : 0));
  if (settings.mode === "fixed")
    return finish(primary, "router.mode fixed: the role's own model", only(primary));
  if (eligible.length === 0)
    return finish(
      primary,
      `no candidate passes the guards (${assessments.map((row) => `${row.model}: ${row.excluded}`).join("; ")}); the default drafts and the pipeline splits or escalates`,
      only(primary),
    );
  if (settings.mode === "matrix") {
    const chosen = matrixPick(eligible, band) ?? primary;
    const wanted = matrixClass[band];
    return finish(
      chosen,
      `matrix: complexity ${unit.complexity.score} (${band}) → ${wanted}${chosen.class === wanted ? "" : `; no eligible ${wanted} candidate, nearest is ${chosen.class}`}`,
      only(chosen),
    );
  }
  // learned
  const eligibleIndex = candidates.map((_, index) => index).filter((index) => assessments[index]?.eligible);
  const locals = eligibleIndex.filter((index) => candidates[index]?.local);
  const ownCost = (index: number) => assessments[index]?.own_cost ?? 0;
  const expected = (index: number, p: number) => ownCost(index) + (1 - p) * settings.fallbackCost;
  const greedyOf = (draw: (index: number) => number) =>
    eligibleIndex.reduce((best, index) =>
      expected(index, draw(index)) < expected(best, draw(best)) ? index : best,
    );
  const means = (index: number) => assessments[index]?.posterior.mean ?? 0;
  const thompson = (random: Random) => {
    const sampled = new Map<number, number>();
    for (const index of locals) {
      const posterior = assessments[index]?.posterior;
      if (posterior) sampled.set(index, sampleBeta(posterior.alpha, posterior.beta, random));
    }
    return greedyOf((index) => sampled.get(index) ?? means(index));
  };
  // Forced exploration only among local candidates that could still be best: optimistic p
  // (posterior mean + 2 standard deviations) gives an expected cost below the greedy choice's.
  const greedyMean = greedyOf(means);
  const plausible = locals.filter((index) => {
    const posterior = assessments[index]?.posterior;
    if (!posterior || index === greedyMean) return false;
    const total = posterior.alpha + posterior.beta;
    const sd = Math.sqrt((posterior.alpha * posterior.beta) / (total * total * (total + 1)));
    return expected(index, Math.min(1, posterior.mean + 2 * sd)) < expected(greedyMean, means(greedyMean));
  });
  const explorable = plausible.length > 0 ? plausible : [];
  const epsilon = explorable.length > 0 ? Math.min(0.5, Math.max(0, settings.exploration)) : 0;
  // The propensity of the Thompson part is estimated from a fixed number of seeded draws.
  const estimateRandom = seededRandom(hash32(`${settings.seed}:${runSalt}:${unit.id}:propensity`));
  const counts = candidates.map(() => 0);
  for (let draw = 0; draw < thompsonDraws; draw++) {
    const index = thompson(estimateRandom);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  const propensities = counts.map(
    (count, index) =>
      (1 - epsilon) * (count / thompsonDraws) +
      (explorable.includes(index) ? epsilon / explorable.length : 0),
  );
  const random = seededRandom(hash32(`${settings.seed}:${runSalt}:${unit.id}`));
  let chosenIndex: number;
  let how: string;
  if (random() < epsilon) {
    chosenIndex = explorable[Math.floor(random() * explorable.length)] ?? greedyMean;
    how = `exploring a local candidate (share ${epsilon})`;
  } else {
    chosenIndex = thompson(random);
    how = chosenIndex === greedyMean ? "lowest expected cost" : "Thompson sample of a local candidate";
  }
  const chosen = candidates[chosenIndex] ?? primary;
  const row = assessments[chosenIndex];
  return finish(
    chosen,
    `learned: ${how} in cell ${cell}: p_success ${row?.p_success} (${row?.posterior.evidence.toFixed(1)} outcomes), expected cost ${row?.expected_cost}`,
    propensities,
  );
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** Every cell of the learning table, for listings. */
export function allBands(): readonly ComplexityBand[] {
  return complexityBands;
}
