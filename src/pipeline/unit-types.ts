/** The shapes shared by the unit loop, escalation and splitting. */
import type { CapacityProfile } from "./capacity.js";
import type { EventSink } from "./events.js";
import type { ChangedFile, CheckFinding, DraftChecker } from "./hooks.js";
import type { ModelCaller, RoleRuntime } from "./model-call.js";
import type { Overlay } from "./overlay.js";
import type { PlanUnit } from "./plan-schema.js";
import type { Confirm, ContextPacker, EditEngine, RunLogSink, TokenCounter } from "./ports.js";
import type { ReviewVerdict } from "./review-schema.js";

export interface UnitPolicy {
  maxRevisions: number;
  maxEscalations: number;
  warnBeforeEscalation: boolean;
  confidenceThreshold: number;
  reviewMaxOutputTokens: number;
  /** The verdict the reviewer is asked for (src/pipeline/review.ts); both shapes are accepted. */
  reviewCheckpoint: ReviewCheckpoint;
  /** On escalation the planner first gives a capped direction and the drafter tries once more. */
  redirectBeforeEscalation: boolean;
  /** Output cap of that direction, in tokens (sent as max tokens). */
  redirectMaxOutputTokens: number;
  maxUnits: number;
  maxSplitDepth: number;
  maxEditRetries: number;
}

export type UnitAuthor = "drafter" | "planner" | "split" | "none";

export interface UnitResult {
  id: string;
  parentId?: string;
  goal: string;
  status: "accepted" | "failed" | "skipped";
  author: UnitAuthor;
  changes: ChangedFile[];
  diff: string;
  revisions: number;
  editRetries: number;
  escalated: boolean;
  verdicts: ReviewVerdict[];
  findings: CheckFinding[];
  reason?: string;
  subUnits?: string[];
  verified?: boolean;
  /** The planner gave the drafter a direction before (or instead of) drafting the unit itself. */
  redirected?: boolean;
}

/** State shared by all units of a run (mutated only through these fields). */
export interface RunState {
  overlay: Overlay;
  escalationsUsed: number;
  unitsCreated: number;
  results: Map<string, UnitResult>;
  /** Accepted change sets in the order they entered the overlay, tagged with their top-level unit. */
  acceptedOrder: Array<{ id: string; unitId: string; changes: ChangedFile[] }>;
}

export interface UnitRunnerDeps {
  task: string;
  repoRoot: string;
  profile: CapacityProfile;
  counter: TokenCounter;
  caller: ModelCaller;
  edits: EditEngine;
  policy: UnitPolicy;
  state: RunState;
  checker?: DraftChecker;
  packer?: ContextPacker;
  confirm?: Confirm;
  emit?: EventSink;
  log?: RunLogSink;
  routeDrafter?: DrafterRouter;
}

/** What the router made of one unit, for the live view (`unit-routed` event). */
export interface UnitRouteInfo {
  complexity: number;
  band: string;
  kind: string;
  provider: string;
  model: string;
  mode: "fixed" | "matrix" | "learned";
  reason: string;
}

/**
 * The drafter chosen for one unit: its binding and its capacity profile (context, tier limits);
 * both absent when the role's own drafter keeps the unit. `info` is shown by the live view.
 */
export interface DrafterChoice {
  binding?: RoleRuntime;
  profile?: CapacityProfile;
  info?: UnitRouteInfo;
}

/**
 * Chooses a unit's drafter (src/routing/run-router.ts). Must answer the same for the same unit id
 * (revisions and verify redos reuse it); undefined (or no binding) keeps the role's own drafter.
 */
export type DrafterRouter = (unit: PlanUnit) => Promise<DrafterChoice | undefined>;

export interface RedoStart {
  /** Test failures the unit is held responsible for; the reviewer turns them into feedback. */
  verifyReport: string;
  previous: UnitResult;
}

export interface Attempt {
  changes: ChangedFile[];
  diff: string;
}

/** Ends a unit: records the result (and commits accepted changes to the overlay). */
export type FinishUnit = (
  status: UnitResult["status"],
  author: UnitAuthor,
  reason?: string,
  accepted?: Attempt,
) => UnitResult;

export type ReviewCheckpoint = "compact" | "full";

export function reviewOptions(policy: UnitPolicy): {
  maxOutputTokens: number;
  confidenceThreshold: number;
  checkpoint: ReviewCheckpoint;
} {
  return {
    maxOutputTokens: policy.reviewMaxOutputTokens,
    confidenceThreshold: policy.confidenceThreshold,
    checkpoint: policy.reviewCheckpoint,
  };
}
