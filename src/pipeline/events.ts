/**
 * Typed progress events. The pipeline never prints: the CLI summary, a later live panel and the
 * MCP/HTTP service all subscribe to these.
 */
import type { Usage } from "../providers/spec.js";
import type { CapacityProfile } from "./capacity.js";
import type { CheckFinding, VerifyOutcome } from "./hooks.js";
import type { Plan } from "./plan-schema.js";
import type { FixedContext } from "./prepare-plan.js";
import type { ReviewVerdict } from "./review-schema.js";

export type PipelineRole = "planner" | "drafter" | "reviewer";

export type UnitStatus = "accepted" | "failed" | "skipped";

export type PipelineEvent =
  | { type: "run-started"; runId: string; task: string; resumed: boolean }
  | { type: "capacity"; profile: CapacityProfile }
  /** Something the user should fix but that does not stop the run (e.g. a corrected base_url). */
  | { type: "warning"; message: string }
  /** One `num_ctx` per Ollama model, chosen before its first call (issue 9). */
  | { type: "contexts"; contexts: FixedContext[] }
  | { type: "plan-cache"; hit: boolean; key: string }
  | { type: "plan-invalid"; attempt: number; problems: string[] }
  /** A model's JSON answer was usable only after repair (syntax or shape); shown with --debug. */
  | { type: "json-repaired"; role: PipelineRole; purpose: string; unitId?: string; repairs: string[] }
  | { type: "plan-ready"; plan: Plan; fromCache: boolean; fromLog: boolean }
  | { type: "unit-started"; unitId: string; goal: string }
  /**
   * The unit's complexity (0–10, src/routing/complexity.ts) and the drafter that drafts it: the
   * router's choice in `router.mode` matrix/learned, else the role's own model. Sent once per
   * unit start, just before `unit-started` (and again before a redo after failing tests).
   */
  | {
      type: "unit-routed";
      unitId: string;
      complexity: number;
      band: string;
      kind: string;
      provider: string;
      model: string;
      mode: "fixed" | "matrix" | "learned";
      /** True when the router chose another candidate than the role's own model. */
      routed: boolean;
      reason: string;
    }
  | { type: "call-started"; role: PipelineRole; model: string; purpose: string; unitId?: string }
  | {
      type: "call-finished";
      role: PipelineRole;
      model: string;
      purpose: string;
      unitId?: string;
      usage: Usage;
      costUsd: number | undefined;
      latencyMs: number;
      outcome: string;
    }
  | { type: "edit-failed"; unitId: string; attempt: number; report: string }
  | { type: "check-findings"; unitId: string; findings: CheckFinding[] }
  | {
      type: "secrets-redacted";
      role: PipelineRole;
      /** Secrets replaced by placeholders for the first time in this run. */
      count: number;
      rules: string[];
      withheldFiles: string[];
      unitId?: string;
    }
  | { type: "verdict"; unitId: string; verdict: ReviewVerdict; effectiveAction: ReviewVerdict["action"] }
  | { type: "escalation"; unitId: string; approved: boolean; reason: string }
  /**
   * The planner's capped direction before it would write a unit itself (the seed's director);
   * the drafter tries once more with it. `usage` is that planner call's.
   */
  | { type: "redirect"; unitId: string; reason: string; direction: string; usage: Usage; truncated: boolean }
  | { type: "split"; unitId: string; subUnitIds: string[] }
  | { type: "unit-finished"; unitId: string; status: UnitStatus; reason?: string }
  /** The project's tests started: the baseline (before any change, alongside planning) or a round. */
  | { type: "verify-started"; phase: "baseline" | "round"; round: number; command: string }
  | {
      type: "verify";
      phase: "baseline" | "round";
      round: number;
      outcome: VerifyOutcome;
      newFailures: string[];
    }
  | { type: "run-finished"; accepted: number; failed: number; skipped: number };

export type EventSink = (event: PipelineEvent) => void;
