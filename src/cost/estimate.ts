/**
 * Cost and quota estimate before anything is spent: expected and worst-case calls, tokens,
 * dollars (API roles) and subscription messages (CLI roles) per role.
 *
 * Expected: one planner call (none on a plan-cache hit), one draft and one review per unit.
 * Worst: a plan retry, every unit using all revisions and edit retries, and the escalation cap
 * spent (each escalation = one planner draft plus its single review; with redirects on, each is
 * preceded by a redirect — one planner call capped at `redirect_max_output_tokens` — and one more
 * draft and review).
 */
import type { ProviderType } from "../providers/spec.js";
import type { PriceTable } from "./price-table.js";
import { findModelPrice, findSubscription } from "./price-table.js";
import { dollarsFor, isSubscriptionType } from "./usage-cost.js";

export interface EstimateRole {
  providerType: ProviderType;
  local: boolean;
  model: string;
}

export interface EstimateUnit {
  est_input_tokens: number;
}

export interface EstimatePolicy {
  max_revisions_per_unit: number;
  max_escalations_per_task: number;
  max_edit_retries: number;
  /** The reviewer's output cap as resolved (src/app/run.ts reviewMaxOutputTokens). */
  review_max_output_tokens: number;
  /** Default false here (older callers); the config default is true. */
  redirect_before_escalation?: boolean;
  redirect_max_output_tokens?: number;
}

export interface EstimateInput {
  task: string;
  /** Units of the cached plan when there is one; otherwise a heuristic count is used. */
  units?: EstimateUnit[];
  planCached: boolean;
  skeletonTokens: number;
  policy: EstimatePolicy;
  maxUnits: number;
  /** Tokens the drafter can take per unit (used when no plan gives estimates). */
  drafterInputBudget: number;
  planner: EstimateRole;
  drafter: EstimateRole;
  reviewer: EstimateRole;
}

export interface RoleEstimate {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** Dollars, or undefined when the model has no known price. */
  usd: number | undefined;
  subscriptionMessages: number;
}

export type Scenario = Record<"planner" | "drafter" | "reviewer", RoleEstimate>;

export interface QuotaNote {
  role: string;
  plan: string;
  messagesPerWindow: number;
  windowHours: number;
  expected: number;
  worst: number;
}

export interface Estimate {
  units: { expected: number; worst: number; fromPlan: boolean };
  expected: Scenario;
  worst: Scenario;
  totals: { expectedUsd: number | undefined; worstUsd: number | undefined };
  quota: QuotaNote[];
  notes: string[];
}

const plannerSystemTokens = 900;
const reviewerSystemTokens = 450;
const planOutputPerUnit = 220;
const expectedReviewOutput = 120;

/** The skill seed's complexity heuristic, used to guess a unit count when no plan exists yet. */
export function scoreTaskComplexity(task: string): number {
  let score = Math.min(3, task.split(/\s+/).filter(Boolean).length / 50);
  if (/\b(refactor|architect|migrate|redesign|rewrite)\w*/i.test(task)) score += 2;
  if (/\b(and|also|plus|then)\b/i.test(task)) score += 1.5;
  if (/\btests?\b/i.test(task)) score += 2;
  return Math.min(10, score);
}

function roleEstimate(
  role: EstimateRole,
  table: PriceTable,
  calls: number,
  input: number,
  output: number,
): RoleEstimate {
  const subscription = isSubscriptionType(role.providerType);
  let usd: number | undefined = 0;
  if (!subscription && !role.local) {
    const price = findModelPrice(table, role.model);
    usd = price
      ? dollarsFor(
          { inputTokens: input, outputTokens: output, cacheReadTokens: 0, cacheWriteTokens: 0 },
          price,
        )
      : undefined;
  }
  return {
    calls,
    inputTokens: Math.round(input),
    outputTokens: Math.round(output),
    usd,
    subscriptionMessages: subscription ? calls : 0,
  };
}

function addRole(a: RoleEstimate, b: RoleEstimate): RoleEstimate {
  return {
    calls: a.calls + b.calls,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    usd: a.usd === undefined || b.usd === undefined ? undefined : a.usd + b.usd,
    subscriptionMessages: a.subscriptionMessages + b.subscriptionMessages,
  };
}

function sumUsd(scenario: Scenario): number | undefined {
  let total = 0;
  for (const role of Object.values(scenario)) {
    if (role.usd === undefined) return undefined;
    total += role.usd;
  }
  return total;
}

export function estimateRun(input: EstimateInput, table: PriceTable): Estimate {
  const { policy } = input;
  const notes: string[] = [];
  const fromPlan = input.units !== undefined;
  const guessed = Math.max(1, Math.min(input.maxUnits, 1 + Math.round(scoreTaskComplexity(input.task))));
  const expectedUnits = input.units?.length ?? guessed;
  const worstUnits = fromPlan ? expectedUnits : Math.min(input.maxUnits, guessed * 2 + 1);
  if (!fromPlan)
    notes.push(
      `no cached plan: ${expectedUnits} units expected from the task's wording (worst ${worstUnits})`,
    );
  const perUnitInput =
    input.units && input.units.length > 0
      ? input.units.reduce((sum, unit) => sum + unit.est_input_tokens, 0) / input.units.length
      : Math.min(input.drafterInputBudget, 2500);
  const taskTokens = Math.ceil(input.task.length / 4);
  const planInput = plannerSystemTokens + input.skeletonTokens + taskTokens;
  const draftOutput = Math.max(200, perUnitInput * 0.4);
  // The reviewer reads the unit's code plus the diff.
  const reviewInput = reviewerSystemTokens + perUnitInput + draftOutput;

  const scenario = (units: number, worst: boolean): Scenario => {
    const planCalls = input.planCached ? 0 : worst ? 2 : 1;
    const revisions = worst ? policy.max_revisions_per_unit : 0;
    const escalations = worst ? Math.min(policy.max_escalations_per_task, units) : 0;
    const draftsPerUnit = (1 + revisions) * (worst ? 1 + policy.max_edit_retries : 1);
    const reviewsPerUnit = 1 + revisions;
    const reviewOutput = worst
      ? policy.review_max_output_tokens
      : Math.min(expectedReviewOutput, policy.review_max_output_tokens);
    const redirects = policy.redirect_before_escalation ? escalations : 0;
    const planOutput = 150 + planOutputPerUnit * units;
    let planner = roleEstimate(
      input.planner,
      table,
      planCalls,
      planCalls * planInput,
      planCalls * planOutput,
    );
    // An escalation: the planner drafts the unit from the feedback and the failed attempts.
    const escalation = roleEstimate(
      input.planner,
      table,
      escalations,
      escalations * (perUnitInput + draftOutput * (1 + revisions)),
      escalations * draftOutput,
    );
    planner = addRole(planner, escalation);
    // A redirect: the planner reads the unit and the last attempt and writes a capped direction.
    planner = addRole(
      planner,
      roleEstimate(
        input.planner,
        table,
        redirects,
        redirects * (perUnitInput + draftOutput),
        redirects * (policy.redirect_max_output_tokens ?? 50),
      ),
    );
    const drafts = units * draftsPerUnit + redirects;
    const drafter = roleEstimate(input.drafter, table, drafts, drafts * perUnitInput, drafts * draftOutput);
    const reviewCalls = units * reviewsPerUnit + escalations + redirects;
    const reviewer = roleEstimate(
      input.reviewer,
      table,
      reviewCalls,
      reviewCalls * reviewInput,
      reviewCalls * reviewOutput,
    );
    return { planner, drafter, reviewer };
  };

  const expected = scenario(expectedUnits, false);
  const worst = scenario(worstUnits, true);
  if (input.planCached) notes.push("plan cache hit: no planning call");
  const quota: QuotaNote[] = [];
  for (const role of ["planner", "reviewer"] as const) {
    const binding = input[role];
    const plan = findSubscription(table, binding.providerType);
    if (!plan) continue;
    quota.push({
      role,
      plan: plan.name,
      messagesPerWindow: plan.messagesPerWindow,
      windowHours: plan.windowHours,
      expected: expected[role].subscriptionMessages,
      worst: worst[role].subscriptionMessages,
    });
  }
  for (const role of ["planner", "reviewer"] as const) {
    if (expected[role].usd === undefined)
      notes.push(`${role} model '${input[role].model}' has no known price; add it to pricing.yaml`);
  }
  return {
    units: { expected: expectedUnits, worst: worstUnits, fromPlan },
    expected,
    worst,
    totals: { expectedUsd: sumUsd(expected), worstUsd: sumUsd(worst) },
    quota,
    notes,
  };
}
