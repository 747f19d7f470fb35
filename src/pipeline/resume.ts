/**
 * Rebuilding an interrupted run from its audit log: the plan and capacity profile (no planner
 * call), every finished unit, the accepted edits in the order they were made, and the
 * escalations already spent.
 */
import { UsageError } from "../errors.js";
import type { CapacityProfile } from "./capacity.js";
import type { ResumeState } from "./pipeline.js";
import type { Plan } from "./plan-schema.js";
import type { RunLogRecord } from "./ports.js";
import type { RunState, UnitResult } from "./unit-runner.js";

export interface LoggedRun {
  task: string;
  repoRoot?: string;
  finished: boolean;
  resume: ResumeState;
}

/** Resolves a record's `exactChanges` number to the unredacted changes (see store/run-log). */
export type ExactChangesLoader = (number: number) => { changes: unknown; resultChanges?: unknown };

const placeholder = "[REDACTED]";

function mentionsPlaceholder(changes: unknown): boolean {
  return JSON.stringify(changes ?? null).includes(placeholder);
}

/**
 * Rebuilds the run's state from its log records. Accepted changes come from the exact store
 * (`loadExact`) when the record points there; a record whose only copy of the changes is the
 * redacted log text is refused (UsageError) rather than replayed with placeholders.
 */
export function resumeFromLog(
  records: RunLogRecord[],
  runId: string,
  loadExact?: ExactChangesLoader,
): LoggedRun {
  const start = records.find((record) => record.type === "run");
  if (!start || typeof start.task !== "string")
    throw new UsageError(`run ${runId}: the log has no start record`);
  const planRecord = records.findLast((record) => record.type === "plan");
  if (!planRecord) {
    throw new UsageError(`run ${runId} stopped before its plan was made; start it again instead of resuming`);
  }
  const results = new Map<string, UnitResult>();
  const tops = new Map<string, string>();
  let acceptedOrder: RunState["acceptedOrder"] = [];
  let escalationsUsed = 0;
  for (const record of records) {
    if (record.type === "unit-result") {
      const result = { ...(record.result as UnitResult) };
      let changes = record.changes as RunState["acceptedOrder"][number]["changes"];
      if (typeof record.exactChanges === "number" && loadExact) {
        let exact: ReturnType<ExactChangesLoader>;
        try {
          exact = loadExact(record.exactChanges);
        } catch (error) {
          throw new UsageError(
            `run ${runId}: the exact changes of unit ${result.id} are missing (${(error as Error).message}); replaying the redacted log would write placeholders`,
            { hint: "start the run again instead of resuming it" },
          );
        }
        changes = exact.changes as typeof changes;
        if (Array.isArray(exact.resultChanges)) result.changes = exact.resultChanges as UnitResult["changes"];
      } else if (
        mentionsPlaceholder(changes) ||
        (changes.length > 0 && mentionsPlaceholder(result.changes))
      ) {
        throw new UsageError(
          `run ${runId}: unit ${result.id}'s accepted changes exist only in redacted form in the log; resuming would write "${placeholder}" into files`,
          { hint: "start the run again instead of resuming it" },
        );
      }
      results.set(result.id, result);
      tops.set(result.id, String(record.topId));
      if (changes.length > 0) acceptedOrder.push({ id: String(record.topId), unitId: result.id, changes });
    } else if (record.type === "escalation" && record.approved === true) {
      escalationsUsed += 1;
    }
  }
  // A unit interrupted half-way through its sub-units starts over: drop what its parts did.
  const finishedTops = new Set([...tops].filter(([id, top]) => id === top).map(([id]) => id));
  acceptedOrder = acceptedOrder.filter((entry) => finishedTops.has(entry.id));
  for (const [id, top] of tops) if (!finishedTops.has(top)) results.delete(id);
  return {
    task: start.task,
    ...(typeof start.repoRoot === "string" ? { repoRoot: start.repoRoot } : {}),
    finished: records.some((record) => record.type === "finished"),
    resume: {
      plan: planRecord.plan as Plan,
      profile: planRecord.profile as CapacityProfile,
      planFromCache: Boolean(planRecord.fromCache),
      results: [...results.values()],
      acceptedOrder,
      escalationsUsed,
    },
  };
}
