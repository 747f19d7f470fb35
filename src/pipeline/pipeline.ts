/**
 * The whole run: capacity probe → plan (cached) → units dispatched as a dependency graph →
 * optional verify loop → result. Pure orchestration: every dependency comes in through
 * `PipelineDeps`, progress goes out as events, nothing is printed or written to the working tree.
 */
import { AbortError, isAbortLike } from "../errors.js";
import type { CapacityProfile } from "./capacity.js";
import type { Verifier } from "./hooks.js";
import type { ModelCaller } from "./model-call.js";
import { Overlay } from "./overlay.js";
import type { PipelineDeps, PipelineOptions, PipelineResult } from "./pipeline-types.js";
import type { Plan, PlanUnit } from "./plan-schema.js";
import { callerFor, fixRunContexts, preparePlan } from "./prepare-plan.js";
import { buildResult } from "./run-result.js";
import { runGraph } from "./scheduler.js";
import {
  isUnitLevelFailure,
  type RunState,
  recordUnitError,
  runUnit,
  type UnitResult,
} from "./unit-runner.js";
import { runVerifyLoop, type VerificationSummary } from "./verify-loop.js";

export type {
  PipelineDeps,
  PipelineOptions,
  PipelinePolicy,
  PipelineResult,
  PreparedPlan,
  ResumeState,
} from "./pipeline-types.js";
export { planOnly, preparePlan } from "./prepare-plan.js";

export async function runPipeline(deps: PipelineDeps, options: PipelineOptions): Promise<PipelineResult> {
  const caller = callerFor(deps, options);
  const resumed = options.resume !== undefined;
  deps.emit?.({ type: "run-started", runId: options.runId, task: options.task, resumed });
  deps.log?.append({
    type: resumed ? "resumed" : "run",
    runId: options.runId,
    task: options.task,
    repoRoot: deps.repo.root,
  });
  if (deps.verifier)
    deps.emit?.({ type: "verify-started", phase: "baseline", round: 0, command: deps.verifier.command });
  const baseline = deps.verifier ? deps.verifier.baseline(deps.signal) : undefined;
  // Reported when it ends (it runs alongside planning and drafting), so a live view can time it.
  // A failed baseline must not surface as an unhandled rejection while planning runs.
  baseline
    ?.then((outcome) =>
      deps.emit?.({ type: "verify", phase: "baseline", round: 0, outcome, newFailures: [] }),
    )
    .catch(() => undefined);
  try {
    return await execute(deps, options, caller, baseline);
  } catch (error) {
    if (deps.signal?.aborted || isAbortLike(error)) {
      deps.log?.append({ type: "aborted", runId: options.runId });
      throw error instanceof AbortError ? error : new AbortError(undefined, { cause: error });
    }
    deps.log?.append({ type: "error", message: (error as Error).message });
    throw error;
  } finally {
    if (deps.verifier) await deps.verifier.dispose().catch(() => undefined);
  }
}

async function execute(
  deps: PipelineDeps,
  options: PipelineOptions,
  caller: ModelCaller,
  baseline: ReturnType<Verifier["baseline"]> | undefined,
): Promise<PipelineResult> {
  let plan: Plan;
  let profile: CapacityProfile;
  let planFromCache: boolean;
  const resume = options.resume;
  if (resume?.profile) {
    plan = resume.plan;
    profile = resume.profile;
    planFromCache = resume.planFromCache;
    await fixRunContexts(deps, caller, profile);
    deps.emit?.({ type: "plan-ready", plan, fromCache: planFromCache, fromLog: true });
  } else {
    const prepared = await preparePlan(deps, options, caller);
    plan = prepared.plan;
    profile = prepared.profile;
    planFromCache = prepared.fromCache;
    deps.log?.append({ type: "plan", plan, fromCache: planFromCache, key: prepared.key, profile });
    deps.emit?.({ type: "plan-ready", plan, fromCache: planFromCache, fromLog: false });
  }

  const overlay = new Overlay(deps.repo.readFile);
  const state: RunState = {
    overlay,
    escalationsUsed: resume?.escalationsUsed ?? 0,
    unitsCreated: plan.units.length,
    results: new Map(),
    acceptedOrder: [],
  };
  const finished = new Map<string, "accepted" | "failed">();
  if (resume) {
    for (const entry of resume.acceptedOrder) {
      overlay.commit(entry.changes);
      state.acceptedOrder.push(entry);
    }
    for (const result of resume.results) {
      state.results.set(result.id, result);
      if (plan.units.some((unit) => unit.id === result.id) && result.status !== "skipped")
        finished.set(result.id, result.status);
    }
  }
  const unitDeps = {
    task: options.task,
    repoRoot: deps.repo.root,
    profile,
    counter: deps.counter,
    caller,
    edits: deps.edits,
    policy: options.policy,
    state,
    ...(deps.checker ? { checker: deps.checker } : {}),
    ...(deps.packer ? { packer: deps.packer } : {}),
    ...(deps.confirm ? { confirm: deps.confirm } : {}),
    ...(deps.emit ? { emit: deps.emit } : {}),
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.routeDrafter ? { routeDrafter: deps.routeDrafter } : {}),
  };
  const byId = new Map(plan.units.map((unit) => [unit.id, unit]));
  const lanes = await drafterLanes(deps, plan.units, finished);
  const concurrency = lanes
    ? options.workers.local + options.workers.remote
    : deps.roles.drafter.provider.local
      ? options.workers.local
      : options.workers.remote;
  await runGraph({
    nodes: plan.units.map((unit) => ({ ...unit, files: unit.target_files })),
    concurrency,
    finished,
    ...(lanes
      ? {
          lanes: {
            of: (node: { id: string }) => lanes.get(node.id) ?? "default",
            limits: {
              local: options.workers.local,
              remote: options.workers.remote,
              default: deps.roles.drafter.provider.local ? options.workers.local : options.workers.remote,
            },
          },
        }
      : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
    run: async (node) => {
      const unit = byId.get(node.id);
      if (!unit) return "failed";
      try {
        const result = await runUnit(unitDeps, unit, 0, unit.id);
        return result.status === "accepted" ? "accepted" : "failed";
      } catch (error) {
        if (deps.signal?.aborted || !isUnitLevelFailure(error)) throw error;
        return recordUnitError(unitDeps, unit, unit.id, error).status === "accepted" ? "accepted" : "failed";
      }
    },
    onSkip: (node, reason) => {
      const unit = byId.get(node.id);
      const result: UnitResult = {
        id: node.id,
        goal: unit?.goal ?? "",
        status: "skipped",
        author: "none",
        changes: [],
        diff: "",
        revisions: 0,
        editRetries: 0,
        escalated: false,
        verdicts: [],
        findings: [],
        reason,
      };
      state.results.set(node.id, result);
      deps.emit?.({ type: "unit-finished", unitId: node.id, status: "skipped", reason });
    },
  });
  if (deps.signal?.aborted) throw new AbortError();

  let verification: VerificationSummary | undefined;
  if (deps.verifier && baseline) {
    verification = await runVerifyLoop({
      verifier: deps.verifier,
      baseline,
      plan,
      state,
      unitDeps,
      maxRounds: options.policy.maxVerifyRounds,
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.emit ? { emit: deps.emit } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    });
  }
  return buildResult(deps, options, {
    plan,
    profile,
    planFromCache,
    state,
    caller,
    verification,
    resumed: resume !== undefined,
  });
}

/**
 * With a drafter router, each unit's lane is the kind of drafter the router picks for it: units
 * drafted by a local model share `workers.local` (one machine's memory and server slots), units
 * drafted by a remote API share `workers.remote`. The router answers the same for the same unit
 * later (runUnit), so asking first only moves the (free) decision earlier. Undefined without a
 * router: every unit is in the role's own drafter's lane, as before routing existed.
 */
async function drafterLanes(
  deps: PipelineDeps,
  units: PlanUnit[],
  finished: ReadonlyMap<string, unknown>,
): Promise<Map<string, "local" | "remote"> | undefined> {
  if (!deps.routeDrafter) return undefined;
  const lanes = new Map<string, "local" | "remote">();
  for (const unit of units) {
    if (finished.has(unit.id)) continue;
    // A router that fails here fails again inside runUnit, where it is a unit-level failure.
    const choice = await deps.routeDrafter(unit).catch(() => undefined);
    const provider = choice?.binding?.provider ?? deps.roles.drafter.provider;
    lanes.set(unit.id, provider.local ? "local" : "remote");
  }
  return lanes;
}
