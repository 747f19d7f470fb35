/**
 * The loop for one unit: draft → deterministic checks → review → accept | revise | split |
 * escalate. Revisions give the drafter the reviewer's feedback and its previous attempt; a split
 * re-plans the unit into sub-units (total units and depth capped). An escalation first asks the
 * planner for a capped redirect (redirect.ts) and lets the drafter try once more with it; if that
 * fails too, the planner writes the unit from the feedback and every failed attempt, once, and its
 * draft is reviewed once.
 */
import { type DraftEnvironment, draftUnit } from "./draft.js";
import { escalate } from "./escalation.js";
import type { ChangedFile } from "./hooks.js";
import { composeChanges } from "./overlay.js";
import type { PlanUnit } from "./plan-schema.js";
import { redirectUnit } from "./redirect.js";
import { feedbackText, reviewUnit } from "./review.js";
import type { ReviewVerdict } from "./review-schema.js";
import { trySplit } from "./split.js";
import {
  type Attempt,
  type RedoStart,
  reviewOptions,
  type UnitAuthor,
  type UnitResult,
  type UnitRunnerDeps,
} from "./unit-types.js";

export { isUnitLevelFailure, recordUnitError } from "./unit-failure.js";
export type {
  RedoStart,
  RunState,
  UnitAuthor,
  UnitPolicy,
  UnitResult,
  UnitRunnerDeps,
} from "./unit-types.js";

export async function runUnit(
  deps: UnitRunnerDeps,
  unit: PlanUnit,
  depth: number,
  topId: string,
  redo?: RedoStart,
): Promise<UnitResult> {
  const { policy, caller, state } = deps;
  const result: UnitResult = redo
    ? { ...redo.previous, verdicts: [...redo.previous.verdicts], findings: [] }
    : {
        id: unit.id,
        goal: unit.goal,
        status: "failed",
        author: "none",
        changes: [],
        diff: "",
        revisions: 0,
        editRetries: 0,
        escalated: false,
        verdicts: [],
        findings: [],
      };
  // Routed first so the live view's first line of the unit already names its drafter.
  const routed = deps.routeDrafter ? await deps.routeDrafter(unit) : undefined;
  if (routed?.binding) caller.setUnitDrafter(unit.id, routed.binding);
  if (routed?.info)
    deps.emit?.({
      type: "unit-routed",
      unitId: unit.id,
      routed: routed.binding !== undefined,
      ...routed.info,
    });
  if (!redo) deps.emit?.({ type: "unit-started", unitId: unit.id, goal: unit.goal });
  const environment: DraftEnvironment = {
    task: deps.task,
    profile: routed?.profile ?? deps.profile,
    counter: deps.counter,
    caller,
    edits: deps.edits,
    read: state.overlay.read,
    maxEditRetries: policy.maxEditRetries,
    ...(deps.packer ? { packer: deps.packer } : {}),
  };
  const attempts: string[] = [];
  const feedback: string[] = [];
  let pendingFeedback: string | undefined;
  let previousDiff: string | undefined;
  let revisions = 0;
  let redirected = false;

  if (redo) {
    const review = await reviewUnit(
      caller,
      {
        task: deps.task,
        unit,
        diff: redo.previous.diff,
        changes: redo.previous.changes,
        findings: [],
        verifyReport: redo.verifyReport,
        purpose: "review after failing tests",
      },
      reviewOptions(policy),
    );
    result.verdicts.push(review.verdict);
    pendingFeedback = `${feedbackText(review.verdict) || "Fix the failing tests."}\n\nFailing tests:\n${redo.verifyReport}`;
    previousDiff = redo.previous.diff;
  }

  const finish = (
    outcome: UnitResult["status"],
    author: UnitAuthor,
    failure?: string,
    accepted?: Attempt,
  ): UnitResult => {
    // A failed fix after failing tests leaves the earlier accepted work in place (unverified).
    const status = redo && outcome !== "accepted" ? "accepted" : outcome;
    const reason =
      redo && outcome !== "accepted" ? `fix for failing tests not accepted: ${failure}` : failure;
    result.status = status;
    if (accepted) {
      state.overlay.commit(accepted.changes);
      state.acceptedOrder.push({ id: topId, unitId: unit.id, changes: accepted.changes });
      result.changes = redo ? composeChanges(redo.previous.changes, accepted.changes) : accepted.changes;
      result.diff = deps.edits.diff(result.changes);
      result.author = author;
    } else if (!redo) {
      result.author = author;
    }
    if (reason) result.reason = reason;
    else delete result.reason;
    result.revisions += revisions;
    state.results.set(unit.id, result);
    // `changes` is what entered the overlay now (replayed on resume); `result` is the unit's total.
    deps.log?.append({
      type: "unit-result",
      unitId: unit.id,
      topId,
      redo: Boolean(redo),
      status,
      changes: accepted?.changes ?? [],
      result,
    });
    deps.emit?.({ type: "unit-finished", unitId: unit.id, status, ...(reason ? { reason } : {}) });
    return result;
  };

  for (let draftNumber = 1; ; draftNumber += 1) {
    const draft = await draftUnit(environment, unit, {
      attempt: draftNumber,
      ...(pendingFeedback ? { feedback: pendingFeedback } : {}),
      ...(previousDiff ? { previousDiff } : {}),
    });
    let nextAction: "revise" | "split" | "escalate";
    let reason: string;
    let verdict: ReviewVerdict | undefined;
    const tooBig = !draft.ok && draft.kind === "too-big";
    if (!draft.ok) {
      if (draft.kind !== "too-big") result.editRetries += draft.editRetries;
      if (draft.kind === "too-big") {
        nextAction = depth < policy.maxSplitDepth && !redo ? "split" : "escalate";
        reason = draft.reason;
      } else {
        deps.emit?.({ type: "edit-failed", unitId: unit.id, attempt: draftNumber, report: draft.report });
        attempts.push(draft.diff);
        feedback.push(draft.report);
        nextAction = "revise";
        reason = draft.reason;
        pendingFeedback = draft.report;
        previousDiff = draft.diff || previousDiff;
      }
    } else {
      result.editRetries += draft.editRetries;
      const findings = deps.checker ? await deps.checker.check(deps.repoRoot, draft.changes) : [];
      if (findings.length > 0) deps.emit?.({ type: "check-findings", unitId: unit.id, findings });
      const errors = findings.filter((finding) => finding.severity === "error");
      const warnings = findings.filter((finding) => finding.severity === "warning");
      result.findings = warnings;
      if (errors.length > 0) {
        attempts.push(draft.diff);
        const text = `Automatic checks failed:\n${errors.map((finding) => `- ${finding.file}${finding.line ? `:${finding.line}` : ""}: ${finding.message}`).join("\n")}`;
        feedback.push(text);
        nextAction = "revise";
        reason = "automatic checks failed";
        pendingFeedback = text;
        previousDiff = draft.diff;
      } else {
        const review = await reviewUnit(
          caller,
          {
            task: deps.task,
            unit,
            diff: draft.diff,
            changes: draft.changes,
            findings: warnings,
            purpose: `review ${draftNumber}`,
          },
          reviewOptions(policy),
        );
        verdict = review.verdict;
        result.verdicts.push(review.verdict);
        deps.emit?.({
          type: "verdict",
          unitId: unit.id,
          verdict: review.verdict,
          effectiveAction: review.action,
        });
        if (review.action === "accept") return finish("accepted", "drafter", undefined, draft);
        attempts.push(draft.diff);
        const text = feedbackText(review.verdict);
        feedback.push(text);
        nextAction = review.action;
        reason =
          review.action !== review.verdict.action
            ? `reviewer confidence ${review.verdict.confidence} below ${policy.confidenceThreshold}`
            : `reviewer asked to ${review.action}`;
        pendingFeedback = text;
        previousDiff = draft.diff;
      }
    }
    if (nextAction === "revise") {
      if (redirected) {
        nextAction = "escalate";
        reason = `not acceptable after the planner's redirect: ${reason}`;
      } else if (revisions < policy.maxRevisions) {
        revisions += 1;
        continue;
      } else {
        nextAction = "escalate";
        reason = `no acceptable draft after ${revisions} revision(s): ${reason}`;
      }
    }
    if (nextAction === "split") {
      const split = await trySplit(
        deps,
        unit,
        depth,
        topId,
        verdict?.sub_units ?? [],
        feedback.at(-1) ?? reason,
        (sub, subDepth, subTop) => runUnit(deps, sub, subDepth, subTop),
      );
      if (split) {
        result.subUnits = split.map((sub) => sub.id);
        const allAccepted = split.every((sub) => sub.status === "accepted");
        result.changes = split.reduce<ChangedFile[]>((all, sub) => composeChanges(all, sub.changes), []);
        result.diff = result.changes.length > 0 ? deps.edits.diff(result.changes) : "";
        return finish(
          allAccepted ? "accepted" : "failed",
          "split",
          allAccepted ? undefined : "some sub-units failed",
        );
      }
      reason = `${reason}; split not possible`;
    }
    // The director's redirect: once per unit, not for a unit too big for the drafter to draft.
    if (policy.redirectBeforeEscalation && !redirected && !tooBig) {
      const lastFeedback = feedback.at(-1);
      const direction = await redirectUnit(deps, unit, reason, attempts.at(-1), lastFeedback);
      if (direction !== undefined) {
        redirected = true;
        result.redirected = true;
        pendingFeedback = `Direction from the planner: ${direction}${lastFeedback ? `\n\n${lastFeedback}` : ""}`;
        continue;
      }
    }
    return escalate(deps, unit, result, attempts, feedback, reason, finish);
  }
}
