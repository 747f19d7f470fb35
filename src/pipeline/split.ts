/**
 * Splitting: a unit the reviewer (or the drafter's budget) says is too big becomes sub-units —
 * the reviewer's, or a re-plan by the planner — which run in order, each seeing the previous
 * one's accepted edits. Total units and split depth are capped.
 */
import { ModelOutputError } from "../errors.js";
import { type Plan, type PlanUnit, planJsonSchema, planSchema } from "./plan-schema.js";
import { normalizeRepoPath, repairPlan } from "./plan-validation.js";
import { plannerSystem, splitUserPrompt } from "./prompts.js";
import type { SubUnit } from "./review-schema.js";
import type { UnitResult, UnitRunnerDeps } from "./unit-types.js";

/** Turns a split verdict (or a planner re-plan) into sub-units and runs them in order. */
export async function trySplit(
  deps: UnitRunnerDeps,
  unit: PlanUnit,
  depth: number,
  topId: string,
  proposed: SubUnit[],
  feedback: string,
  runSubUnit: (unit: PlanUnit, depth: number, topId: string) => Promise<UnitResult>,
): Promise<UnitResult[] | undefined> {
  const { policy, state } = deps;
  if (depth >= policy.maxSplitDepth) return undefined;
  const room = policy.maxUnits - state.unitsCreated;
  if (room < 2) return undefined;
  let subUnits: SubUnit[] = proposed;
  if (subUnits.length < 2) {
    try {
      const { value } = await deps.caller.callJson<Plan>(
        "planner",
        {
          system: plannerSystem,
          messages: [
            {
              role: "user",
              content: splitUserPrompt(deps.task, unit, feedback, deps.profile, Math.min(room, 4)),
            },
          ],
          maxOutputTokens: 2048,
          jsonSchema: planJsonSchema(),
          schemaName: "plan",
        },
        planSchema,
        { purpose: "split", unitId: unit.id },
        (raw) => repairPlan(raw, { fileExists: (path) => state.overlay.read(path) !== null }),
      );
      subUnits = value.units.map((sub) => ({
        goal: sub.goal,
        target_files: sub.target_files,
        acceptance: sub.acceptance,
      }));
    } catch (error) {
      if (error instanceof ModelOutputError) return undefined;
      throw error;
    }
  }
  const allowed = new Set(unit.target_files);
  const valid = subUnits.filter((sub) =>
    sub.target_files.every((file) => allowed.has(normalizeRepoPath(file) ?? "")),
  );
  if (valid.length < 2 || valid.length > room) return undefined;
  state.unitsCreated += valid.length;
  const planned: PlanUnit[] = valid.map((sub, index) => ({
    id: `${unit.id}.${index + 1}`,
    goal: sub.goal,
    target_files: sub.target_files.map((file) => normalizeRepoPath(file) ?? file),
    new_files: sub.target_files.filter(
      (file) => state.overlay.read(normalizeRepoPath(file) ?? file) === null,
    ),
    context_files: unit.context_files,
    acceptance: sub.acceptance.length > 0 ? sub.acceptance : unit.acceptance,
    depends_on: index === 0 ? [] : [`${unit.id}.${index}`],
    est_input_tokens: Math.ceil(unit.est_input_tokens / valid.length),
    complexity: unit.complexity,
  }));
  deps.emit?.({ type: "split", unitId: unit.id, subUnitIds: planned.map((sub) => sub.id) });
  deps.log?.append({ type: "split", unitId: unit.id, subUnits: planned });
  const results: UnitResult[] = [];
  for (const sub of planned) {
    const subResult = await runSubUnit(sub, depth + 1, topId);
    subResult.parentId = unit.id;
    results.push(subResult);
    if (subResult.status !== "accepted") break;
  }
  return results;
}
