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

export function resumeFromLog(records: RunLogRecord[], runId: string): LoggedRun {
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
      const result = record.result as UnitResult;
      results.set(result.id, result);
      tops.set(result.id, String(record.topId));
      const changes = record.changes as RunState["acceptedOrder"][number]["changes"];
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
