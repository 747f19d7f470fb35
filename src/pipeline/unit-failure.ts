/** Errors of one unit's calls that fail that unit only, and how they are recorded. */
import { ContextOverflowError, describeError, ModelOutputError, ProviderError } from "../errors.js";
import type { PlanUnit } from "./plan-schema.js";
import type { UnitResult, UnitRunnerDeps } from "./unit-types.js";

/**
 * Failures of one unit's calls that should not stop the other units: the backend was busy or
 * broke mid-answer, or the model kept answering garbage. Configuration problems (auth, missing
 * model, unreachable server) still stop the run.
 */
export function isUnitLevelFailure(error: unknown): boolean {
  if (error instanceof ModelOutputError || error instanceof ContextOverflowError) return true;
  return (
    error instanceof ProviderError &&
    ["rate_limit", "overloaded", "server", "timeout", "truncated", "stream", "crash", "bad_request"].includes(
      error.kind,
    )
  );
}

/** Records a unit that failed because of an error thrown by one of its calls. */
export function recordUnitError(
  deps: UnitRunnerDeps,
  unit: PlanUnit,
  topId: string,
  error: unknown,
): UnitResult {
  const existing = deps.state.results.get(unit.id);
  const result: UnitResult = {
    id: unit.id,
    goal: unit.goal,
    status: existing?.status === "accepted" ? "accepted" : "failed",
    author: existing?.author ?? "none",
    changes: existing?.changes ?? [],
    diff: existing?.diff ?? "",
    revisions: existing?.revisions ?? 0,
    editRetries: existing?.editRetries ?? 0,
    escalated: existing?.escalated ?? false,
    verdicts: existing?.verdicts ?? [],
    findings: existing?.findings ?? [],
    reason: `a model call failed: ${describeError(error)}`,
  };
  deps.state.results.set(unit.id, result);
  deps.log?.append({
    type: "unit-result",
    unitId: unit.id,
    topId,
    redo: false,
    status: result.status,
    changes: [],
    result,
  });
  deps.emit?.({ type: "unit-finished", unitId: unit.id, status: result.status, reason: result.reason ?? "" });
  return result;
}
