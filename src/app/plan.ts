/** `hierocode plan`: capacity probe, repository map and a validated plan (cached), no drafting. */

import { plannerMemoryFor } from "../memory/retrieve.js";
import type { EventSink, PipelineRole } from "../pipeline/events.js";
import type { RoleTotals } from "../pipeline/model-call.js";
import { type PreparedPlan, planOnly } from "../pipeline/pipeline.js";
import { openStateDatabase } from "../store/database.js";
import { planCache } from "../store/plan-cache.js";
import { newRunId } from "../store/run-log.js";
import { usageLedger } from "../store/usage-ledger.js";
import { preflight } from "./preflight.js";
import { type SetupInput, setupPipeline } from "./run.js";

export interface PlanTaskOptions extends SetupInput {
  task: string;
  refreshPlan?: boolean;
  emit?: EventSink;
  signal?: AbortSignal;
}

export interface PlanTaskOutcome extends PreparedPlan {
  runId: string;
  totals: Record<PipelineRole, RoleTotals>;
}

export async function planTask(options: PlanTaskOptions): Promise<PlanTaskOutcome> {
  const setup = setupPipeline(options);
  // The planner is paid; the drafter's window shapes the plan: both must be usable first.
  await preflight({
    roles: setup.roles,
    use: ["planner", "drafter"],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const database = openStateDatabase(options.env);
  const runId = newRunId();
  const outcome = await planOnly(
    {
      roles: setup.roles,
      repo: setup.repo,
      counter: setup.counter,
      edits: { apply: () => ({ ok: false, changes: [], editCount: 0, report: "" }), diff: () => "" },
      priceTable: setup.priceTable,
      memory: setup.memory,
      planCache: planCache(database),
      ledger: usageLedger(database),
      vault: setup.vault,
      ...(await plannerMemoryFor({
        config: options.config,
        env: options.env,
        task: options.task,
        repoRoot: options.repoRoot,
        counter: setup.counter,
        ...(options.emit
          ? { onWarning: (message: string) => options.emit?.({ type: "warning", message }) }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      })),
      ...(options.emit ? { emit: options.emit } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    {
      runId,
      task: options.task,
      policy: setup.policy,
      ...(options.refreshPlan ? { refreshPlan: true } : {}),
    },
  );
  return { ...outcome, runId };
}
