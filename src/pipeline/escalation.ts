/**
 * Escalation: the planner writes a unit the drafter could not, from the reviewer's feedback and
 * every failed attempt. Capped per task, confirmed first when `warn_before_escalation`, and the
 * planner's draft is reviewed once.
 */
import type { ChatMessage } from "../providers/spec.js";
import type { ChangedFile } from "./hooks.js";
import type { PlanUnit } from "./plan-schema.js";
import { escalationSystem, escalationUserPrompt, fileBlock } from "./prompts.js";
import { feedbackText, reviewUnit } from "./review.js";
import { type FinishUnit, reviewOptions, type UnitResult, type UnitRunnerDeps } from "./unit-types.js";

export async function escalate(
  deps: UnitRunnerDeps,
  unit: PlanUnit,
  result: UnitResult,
  attempts: string[],
  feedback: string[],
  reason: string,
  finish: FinishUnit,
): Promise<UnitResult> {
  const { policy, state } = deps;
  if (state.escalationsUsed >= policy.maxEscalations) {
    return finish("failed", "drafter", `${reason}; escalation limit (${policy.maxEscalations}) reached`);
  }
  // Reserve before asking, so parallel units cannot overrun the cap while a prompt is open.
  state.escalationsUsed += 1;
  let approved = !policy.warnBeforeEscalation;
  if (policy.warnBeforeEscalation && deps.confirm) {
    approved = await deps.confirm({
      kind: "escalate",
      unitId: unit.id,
      reason,
      used: state.escalationsUsed - 1,
      limit: policy.maxEscalations,
    });
  }
  deps.emit?.({ type: "escalation", unitId: unit.id, approved, reason });
  deps.log?.append({ type: "escalation", unitId: unit.id, approved, reason });
  if (!approved) {
    state.escalationsUsed -= 1;
    return finish("failed", "drafter", `${reason}; escalation declined`);
  }
  result.escalated = true;
  const read = state.overlay.read;
  const fileBlocks = unit.target_files.map((file) => {
    const content = read(file);
    return content === null ? `${file}\n(does not exist yet: create it)` : fileBlock(file, content);
  });
  const contextBlocks = unit.context_files.flatMap((file) => {
    const content = read(file);
    return content === null ? [] : [fileBlock(file, content)];
  });
  const user = escalationUserPrompt({ task: deps.task, unit, fileBlocks, contextBlocks, feedback, attempts });
  const targetTokens = fileBlocks.reduce((sum, block) => sum + deps.counter.count(block), 0);
  const messages: ChatMessage[] = [{ role: "user", content: user }];
  let applied: { changes: ChangedFile[]; diff: string } | undefined;
  let report = "";
  for (let retry = 0; retry <= policy.maxEditRetries && !applied; retry += 1) {
    const reply = await deps.caller.call(
      "planner",
      {
        system: escalationSystem,
        messages,
        maxOutputTokens: Math.min(16_000, Math.max(4096, Math.ceil(targetTokens * 1.3) + 256)),
      },
      { purpose: retry === 0 ? "escalated draft" : "escalated draft edit retry", unitId: unit.id },
    );
    const attempt = deps.edits.apply(reply.text, {
      ...(unit.target_files.length === 1 ? { defaultFile: unit.target_files[0] as string } : {}),
      allowedFiles: unit.target_files,
      read,
    });
    if (attempt.ok && attempt.changes.length > 0) {
      applied = { changes: attempt.changes, diff: deps.edits.diff(attempt.changes) };
    } else {
      report = attempt.ok ? "Your reply changed nothing." : attempt.report;
      messages.push({ role: "assistant", content: reply.text }, { role: "user", content: report });
    }
  }
  if (!applied) return finish("failed", "planner", `escalated draft did not apply: ${report.split("\n")[0]}`);
  const findings = deps.checker ? await deps.checker.check(deps.repoRoot, applied.changes) : [];
  const errors = findings.filter((finding) => finding.severity === "error");
  result.findings = findings.filter((finding) => finding.severity === "warning");
  if (errors.length > 0)
    return finish("failed", "planner", `escalated draft failed checks: ${errors[0]?.message}`);
  const review = await reviewUnit(
    deps.caller,
    {
      task: deps.task,
      unit,
      diff: applied.diff,
      changes: applied.changes,
      findings: result.findings,
      purpose: "review escalated draft",
    },
    reviewOptions(policy),
  );
  result.verdicts.push(review.verdict);
  deps.emit?.({ type: "verdict", unitId: unit.id, verdict: review.verdict, effectiveAction: review.action });
  if (review.action === "accept") return finish("accepted", "planner", undefined, applied);
  return finish(
    "failed",
    "planner",
    `escalated draft not accepted: ${feedbackText(review.verdict).split("\n")[0] ?? review.action}`,
  );
}
