/** The pipeline's public shapes: dependencies, options, resume state and result. */
import type { SecretVault } from "../checks/redact.js";
import type { PriceTable } from "../cost/price-table.js";
import type { CapacityProfile, HostMemory } from "./capacity.js";
import type { EventSink, PipelineRole } from "./events.js";
import type { ChangedFile, DraftChecker, Verifier } from "./hooks.js";
import type { RoleRuntime, RoleTotals } from "./model-call.js";
import type { Plan } from "./plan-schema.js";
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
import type { DrafterRouter, RunState, UnitPolicy, UnitResult } from "./unit-types.js";
import type { VerificationSummary } from "./verify-loop.js";

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
  /** The run's secrets: what remote prompts redact and replies restore (a fresh vault when absent). */
  vault?: SecretVault;
  /** Notes from the user's cross-project memory for the planner (src/memory/retrieve.ts). */
  plannerMemory?: { text: string; notes: Array<{ id: number; kind: string; scope: string }>; tokens: number };
  /** Picks each unit's drafter (src/routing); the drafter role's own model when absent. */
  routeDrafter?: DrafterRouter;
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
