/** Assembling the run's result from the shared state: units in plan order, diffs, totals. */
import type { CapacityProfile } from "./capacity.js";
import type { ModelCaller } from "./model-call.js";
import { changesForUnits } from "./overlay.js";
import type { PipelineDeps, PipelineOptions, PipelineResult } from "./pipeline-types.js";
import type { Plan } from "./plan-schema.js";
import type { RunState, UnitResult } from "./unit-types.js";
import type { VerificationSummary } from "./verify-loop.js";

export function buildResult(
  deps: PipelineDeps,
  options: PipelineOptions,
  parts: {
    plan: Plan;
    profile: CapacityProfile;
    planFromCache: boolean;
    state: RunState;
    caller: ModelCaller;
    verification: VerificationSummary | undefined;
    resumed: boolean;
  },
): PipelineResult {
  const { plan, state } = parts;
  const units: UnitResult[] = [];
  const visit = (id: string) => {
    const result = state.results.get(id);
    if (!result) return;
    units.push(result);
    for (const sub of result.subUnits ?? []) visit(sub);
  };
  for (const unit of plan.units) visit(unit.id);
  const top = plan.units
    .map((unit) => state.results.get(unit.id))
    .filter((result): result is UnitResult => result !== undefined);
  const accepted = top.filter((result) => result.status === "accepted").map((result) => result.id);
  const failed = top.filter((result) => result.status === "failed").map((result) => result.id);
  const skipped = plan.units
    .map((unit) => unit.id)
    .filter((id) => !accepted.includes(id) && !failed.includes(id));
  const changes = state.overlay.changes();
  const verified = parts.verification ? new Set(parts.verification.verifiedUnits) : undefined;
  // Sub-units count through their top-level unit, which is what verification vouches for.
  const applicable = verified ? changesForUnits(state.acceptedOrder, (id) => verified.has(id)) : changes;
  const result: PipelineResult = {
    runId: options.runId,
    task: options.task,
    plan,
    planFromCache: parts.planFromCache,
    resumed: parts.resumed,
    profile: parts.profile,
    units,
    accepted,
    failed,
    skipped,
    changes,
    diff: changes.length > 0 ? deps.edits.diff(changes) : "",
    applicable,
    ...(parts.verification ? { verification: parts.verification } : {}),
    totals: parts.caller.totals,
    revisions: units.reduce((sum, unit) => sum + unit.revisions, 0),
    escalations: state.escalationsUsed,
  };
  deps.emit?.({
    type: "run-finished",
    accepted: accepted.length,
    failed: failed.length,
    skipped: skipped.length,
  });
  deps.log?.append({ type: "finished", accepted, failed, skipped, diff: result.diff, totals: result.totals });
  return result;
}
