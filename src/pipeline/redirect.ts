/**
 * The director's redirect (hierarchical-orchestrator seed: "Directors (Opus): Strategic redirects
 * only (max 50 tokens)"): when a unit would escalate, the planner first reads the unit, the last
 * failed attempt and the feedback, and writes a short direction — its output capped at
 * `redirect_max_output_tokens` (sent as max tokens). The drafter tries once more with it; only if
 * that fails does the planner write the unit itself (escalation.ts). A redirect writes no code, so
 * it needs no `warn_before_escalation` consent and does not count against
 * `max_escalations_per_task`; it is logged, priced in the ledger (purpose "redirect") and shown.
 */

import type { PlanUnit } from "./plan-schema.js";
import { redirectSystem, redirectUserPrompt } from "./prompts.js";
import type { UnitRunnerDeps } from "./unit-types.js";

/** Longest attempt diff shown to the planner, in characters (the rest is elided). */
const maxAttemptChars = 24_000;

/**
 * Asks the planner for a redirect. Returns the direction (trimmed, non-empty), or undefined when
 * the planner gave none. Provider errors propagate like any other call's.
 */
export async function redirectUnit(
  deps: UnitRunnerDeps,
  unit: PlanUnit,
  reason: string,
  attempt: string | undefined,
  feedback: string | undefined,
): Promise<string | undefined> {
  const cap = deps.policy.redirectMaxOutputTokens;
  const shown =
    attempt && attempt.length > maxAttemptChars
      ? `${attempt.slice(0, maxAttemptChars)}\n… (${attempt.length - maxAttemptChars} more characters)`
      : attempt;
  const reply = await deps.caller.call(
    "planner",
    {
      system: redirectSystem(cap),
      messages: [
        {
          role: "user",
          content: redirectUserPrompt({
            task: deps.task,
            unit,
            reason,
            ...(shown ? { attempt: shown } : {}),
            ...(feedback ? { feedback } : {}),
          }),
        },
      ],
      maxOutputTokens: cap,
      temperature: 0,
    },
    { purpose: "redirect", unitId: unit.id },
  );
  const direction = reply.text.trim();
  const truncated = reply.finishReason === "length";
  deps.log?.append({
    type: "redirect",
    unitId: unit.id,
    reason,
    direction,
    truncated,
    maxOutputTokens: cap,
    usage: reply.usage,
  });
  if (direction === "") return undefined;
  deps.emit?.({ type: "redirect", unitId: unit.id, reason, direction, usage: reply.usage, truncated });
  return direction;
}
