/** The pipeline's public surface, for the CLI, a later live panel and the MCP/HTTP service. */
export {
  type CapacityProfile,
  describeProfile,
  type HostMemory,
  probeCapacity,
  profileFromCapacity,
  type TierName,
  tiers,
} from "./capacity.js";
export { defaultEditEngine } from "./edit-engine.js";
export type { EventSink, PipelineEvent, PipelineRole, UnitStatus } from "./events.js";
export type { ChangedFile, CheckFinding, DraftChecker, Verifier, VerifyOutcome } from "./hooks.js";
export { ModelCaller, type RoleRuntime, type RoleTotals } from "./model-call.js";
export { changesForUnits, composeChanges } from "./overlay.js";
export {
  type PipelineDeps,
  type PipelineOptions,
  type PipelinePolicy,
  type PipelineResult,
  type PreparedPlan,
  planOnly,
  preparePlan,
  type ResumeState,
  runPipeline,
} from "./pipeline.js";
export { type Plan, type PlanUnit, planJsonSchema, planSchema } from "./plan-schema.js";
export { normalizeRepoPath, topologicalOrder, validatePlan } from "./plan-validation.js";
export { planCacheKey } from "./planner.js";
export type * from "./ports.js";
export { systemClock } from "./ports.js";
export { PROMPT_VERSION } from "./prompts.js";
export { basicRepoAccess, charsPerTokenCounter } from "./repo-fallback.js";
export { resumeFromLog } from "./resume.js";
export { type ReviewVerdict, verdictJsonSchema, verdictSchema } from "./review-schema.js";
export { runGraph } from "./scheduler.js";
export type { UnitResult } from "./unit-types.js";
