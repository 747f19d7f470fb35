/**
 * The whole run: capacity probe → plan (cached) → units dispatched as a dependency graph →
 * optional verify loop → result. Pure orchestration: every dependency comes in through
 * `PipelineDeps`, progress goes out as events, nothing is printed or written to the working tree.
 */
import type { PriceTable } from "../cost/price-table.js";
import { AbortError, isAbortLike } from "../errors.js";
import { type CapacityProfile, type HostMemory, probeCapacity } from "./capacity.js";
import type { EventSink, PipelineRole } from "./events.js";
import type { ChangedFile, DraftChecker, Verifier } from "./hooks.js";
import { ModelCaller, type RoleRuntime, type RoleTotals } from "./model-call.js";
import { changesForUnits, Overlay } from "./overlay.js";
import type { Plan } from "./plan-schema.js";
import { obtainPlan, planCacheKey } from "./planner.js";
import type {
  Clock,
  Confirm,
  ContextPacker,
  EditEngine,
  PlanCacheStore,
  RepoAccess,
  RepoSkeleton,
  RunLogSink,
  TokenCounter,
  UsageSink,
} from "./ports.js";
import { systemClock } from "./ports.js";
import { runGraph } from "./scheduler.js";
import {
  isUnitLevelFailure,
  type RunState,
  recordUnitError,
  runUnit,
  type UnitPolicy,
  type UnitResult,
} from "./unit-runner.js";
import { runVerifyLoop, type VerificationSummary } from "./verify-loop.js";

export interface PipelineDeps {
  roles: Record<PipelineRole, RoleRuntime>;
  repo: RepoAccess;
  counter: TokenCounter;
  edits: EditEngine;
  priceTable: PriceTable;
  memory: HostMemory;
  clock?: Clock;
  planCache?: PlanCacheStore;
  ledger?: UsageSink;
  log?: RunLogSink;
  emit?: EventSink;
  confirm?: Confirm;
  checker?: DraftChecker;
  verifier?: Verifier;
  /** Symbol-aware packing of large files; the basic whole-file packer when absent. */
  packer?: ContextPacker;
  signal?: AbortSignal;
}

export interface PipelinePolicy extends UnitPolicy {
  maxVerifyRounds: number;
}

export interface ResumeState {
  plan: Plan;
  profile?: CapacityProfile;
  planFromCache: boolean;
  /** Results of units that finished before the interruption (top-level and sub-units). */
  results: UnitResult[];
  acceptedOrder: RunState["acceptedOrder"];
  escalationsUsed: number;
}

export interface PipelineOptions {
  runId: string;
  task: string;
  policy: PipelinePolicy;
  workers: { local: number; remote: number };
  skeletonTokens?: number;
  refreshPlan?: boolean;
  numCtx?: number;
  resume?: ResumeState;
  callTimeoutMs?: number;
}

export interface PreparedPlan {
  profile: CapacityProfile;
  skeleton: RepoSkeleton;
  plan: Plan;
  fromCache: boolean;
  key: string;
}

export interface PipelineResult {
  runId: string;
  task: string;
  plan: Plan;
  planFromCache: boolean;
  resumed: boolean;
  profile: CapacityProfile;
  /** Every unit including sub-units, in plan order. */
  units: UnitResult[];
  accepted: string[];
  failed: string[];
  skipped: string[];
  /** All accepted changes together (before = on disk). */
  changes: ChangedFile[];
  diff: string;
  /** What `--apply` may write: all accepted work, or only verified work when verification ran. */
  applicable: ChangedFile[];
  verification?: VerificationSummary;
  totals: Record<PipelineRole, RoleTotals>;
  revisions: number;
  escalations: number;
}

function callerFor(deps: PipelineDeps, options: { runId: string; callTimeoutMs?: number }): ModelCaller {
  return new ModelCaller({
    runId: options.runId,
    roles: deps.roles,
    repoRoot: deps.repo.root,
    priceTable: deps.priceTable,
    clock: deps.clock ?? systemClock,
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.ledger ? { ledger: deps.ledger } : {}),
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.emit ? { emit: deps.emit } : {}),
    ...(options.callTimeoutMs ? { timeoutMs: options.callTimeoutMs } : {}),
  });
}

/** Capacity probe, skeleton and plan (from the cache when possible). Used by `plan` and `run`. */
export async function preparePlan(
  deps: PipelineDeps,
  options: Pick<PipelineOptions, "task" | "policy" | "skeletonTokens" | "refreshPlan" | "numCtx">,
  caller: ModelCaller,
): Promise<PreparedPlan> {
  const drafter = deps.roles.drafter;
  const profile = await probeCapacity(drafter.provider, drafter.model, {
    memory: deps.memory,
    exactTokens: deps.counter.exact,
    ...(options.numCtx ? { numCtxOverride: options.numCtx } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  deps.emit?.({ type: "capacity", profile });
  deps.log?.append({ type: "capacity", profile });
  const skeleton = await deps.repo.buildSkeleton({
    tokens: options.skeletonTokens ?? 4096,
    task: options.task,
    counter: deps.counter,
  });
  const key = planCacheKey({
    task: options.task,
    skeleton,
    planner: { provider: deps.roles.planner.providerName, model: deps.roles.planner.model },
    drafter: { provider: drafter.providerName, model: drafter.model },
    profile,
    maxUnits: options.policy.maxUnits,
  });
  const known = new Set(deps.repo.listFiles());
  const { plan, fromCache } = await obtainPlan(
    {
      caller,
      counter: deps.counter,
      fileExists: (path) => known.has(path) || deps.repo.readFile(path) !== null,
      readFile: deps.repo.readFile,
      ...(deps.emit ? { emit: deps.emit } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    },
    {
      task: options.task,
      skeleton,
      profile,
      maxUnits: options.policy.maxUnits,
      key,
      ...(deps.planCache ? { cache: deps.planCache } : {}),
      ...(options.refreshPlan ? { refresh: true } : {}),
      meta: { plannerModel: deps.roles.planner.model, drafterModel: drafter.model },
    },
  );
  return { profile, skeleton, plan, fromCache, key };
}

/** Plans only: the `plan` command. */
export async function planOnly(
  deps: PipelineDeps,
  options: Pick<PipelineOptions, "runId" | "task" | "policy" | "skeletonTokens" | "refreshPlan" | "numCtx">,
): Promise<PreparedPlan & { totals: Record<PipelineRole, RoleTotals> }> {
  const caller = callerFor(deps, options);
  const prepared = await preparePlan(deps, options, caller);
  return { ...prepared, totals: caller.totals };
}

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
  const baseline = deps.verifier ? deps.verifier.baseline(deps.signal) : undefined;
  // A failed baseline must not surface as an unhandled rejection while planning runs.
  baseline?.catch(() => undefined);
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
  };
  const byId = new Map(plan.units.map((unit) => [unit.id, unit]));
  const concurrency = deps.roles.drafter.provider.local ? options.workers.local : options.workers.remote;
  await runGraph({
    nodes: plan.units.map((unit) => ({ ...unit, files: unit.target_files })),
    concurrency,
    finished,
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

function buildResult(
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
