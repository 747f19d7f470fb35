/**
 * The loop for one unit: draft → deterministic checks → review → accept | revise | split |
 * escalate. Revisions give the drafter the reviewer's feedback and its previous attempt; a split
 * re-plans the unit into sub-units (total units and depth capped); an escalation lets the planner
 * write the unit from the feedback and every failed attempt, once, and its draft is reviewed once.
 */
import { describeError, ModelOutputError, ProviderError } from "../errors.js";
import type { ChatMessage } from "../providers/spec.js";
import type { CapacityProfile } from "./capacity.js";
import { type DraftEnvironment, draftUnit } from "./draft.js";
import type { EventSink } from "./events.js";
import type { ChangedFile, CheckFinding, DraftChecker } from "./hooks.js";
import type { ModelCaller } from "./model-call.js";
import { composeChanges, type Overlay } from "./overlay.js";
import { type Plan, type PlanUnit, planJsonSchema, planSchema } from "./plan-schema.js";
import { normalizeRepoPath } from "./plan-validation.js";
import type { Confirm, ContextPacker, EditEngine, RunLogSink, TokenCounter } from "./ports.js";
import {
  escalationSystem,
  escalationUserPrompt,
  fileBlock,
  plannerSystem,
  splitUserPrompt,
} from "./prompts.js";
import { feedbackText, reviewUnit } from "./review.js";
import type { ReviewVerdict, SubUnit } from "./review-schema.js";

export interface UnitPolicy {
  maxRevisions: number;
  maxEscalations: number;
  warnBeforeEscalation: boolean;
  confidenceThreshold: number;
  reviewMaxOutputTokens: number;
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
}

export interface RedoStart {
  /** Test failures the unit is held responsible for; the reviewer turns them into feedback. */
  verifyReport: string;
  previous: UnitResult;
}

interface Attempt {
  changes: ChangedFile[];
  diff: string;
}

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
  if (!redo) deps.emit?.({ type: "unit-started", unitId: unit.id, goal: unit.goal });
  const environment: DraftEnvironment = {
    task: deps.task,
    profile: deps.profile,
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
      if (revisions < policy.maxRevisions) {
        revisions += 1;
        continue;
      }
      nextAction = "escalate";
      reason = `no acceptable draft after ${revisions} revision(s): ${reason}`;
    }
    if (nextAction === "split") {
      const split = await trySplit(
        deps,
        unit,
        depth,
        topId,
        verdict?.sub_units ?? [],
        feedback.at(-1) ?? reason,
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
    return escalate(deps, unit, result, attempts, feedback, reason, finish);
  }
}

/**
 * Failures of one unit's calls that should not stop the other units: the backend was busy or
 * broke mid-answer, or the model kept answering garbage. Configuration problems (auth, missing
 * model, unreachable server) still stop the run.
 */
export function isUnitLevelFailure(error: unknown): boolean {
  if (error instanceof ModelOutputError) return true;
  return (
    error instanceof ProviderError &&
    ["rate_limit", "overloaded", "server", "timeout", "truncated", "stream", "crash", "bad_request"].includes(
      error.kind,
    )
  );
}

/** Records a unit that failed because of an error thrown by one of its calls. */
export function recordUnitError(
  deps: UnitRunnerDeps,
  unit: PlanUnit,
  topId: string,
  error: unknown,
): UnitResult {
  const existing = deps.state.results.get(unit.id);
  const result: UnitResult = {
    id: unit.id,
    goal: unit.goal,
    status: existing?.status === "accepted" ? "accepted" : "failed",
    author: existing?.author ?? "none",
    changes: existing?.changes ?? [],
    diff: existing?.diff ?? "",
    revisions: existing?.revisions ?? 0,
    editRetries: existing?.editRetries ?? 0,
    escalated: existing?.escalated ?? false,
    verdicts: existing?.verdicts ?? [],
    findings: existing?.findings ?? [],
    reason: `a model call failed: ${describeError(error)}`,
  };
  deps.state.results.set(unit.id, result);
  deps.log?.append({
    type: "unit-result",
    unitId: unit.id,
    topId,
    redo: false,
    status: result.status,
    changes: [],
    result,
  });
  deps.emit?.({ type: "unit-finished", unitId: unit.id, status: result.status, reason: result.reason ?? "" });
  return result;
}

function reviewOptions(policy: UnitPolicy) {
  return { maxOutputTokens: policy.reviewMaxOutputTokens, confidenceThreshold: policy.confidenceThreshold };
}

async function escalate(
  deps: UnitRunnerDeps,
  unit: PlanUnit,
  result: UnitResult,
  attempts: string[],
  feedback: string[],
  reason: string,
  finish: (
    status: UnitResult["status"],
    author: UnitAuthor,
    reason?: string,
    accepted?: Attempt,
  ) => UnitResult,
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

/** Turns a split verdict (or a planner re-plan) into sub-units and runs them in order. */
async function trySplit(
  deps: UnitRunnerDeps,
  unit: PlanUnit,
  depth: number,
  topId: string,
  proposed: SubUnit[],
  feedback: string,
): Promise<UnitResult[] | undefined> {
  const { policy, state } = deps;
  if (depth >= policy.maxSplitDepth) return undefined;
  const room = policy.maxUnits - state.unitsCreated;
  if (room < 2) return undefined;
  let subUnits: SubUnit[] = proposed;
  if (subUnits.length < 2) {
    try {
      const { value } = await deps.caller.callJson<Plan>(
        "planner",
        {
          system: plannerSystem,
          messages: [
            {
              role: "user",
              content: splitUserPrompt(deps.task, unit, feedback, deps.profile, Math.min(room, 4)),
            },
          ],
          maxOutputTokens: 2048,
          jsonSchema: planJsonSchema(),
          schemaName: "plan",
        },
        planSchema,
        { purpose: "split", unitId: unit.id },
      );
      subUnits = value.units.map((sub) => ({
        goal: sub.goal,
        target_files: sub.target_files,
        acceptance: sub.acceptance,
      }));
    } catch (error) {
      if (error instanceof ModelOutputError) return undefined;
      throw error;
    }
  }
  const allowed = new Set(unit.target_files);
  const valid = subUnits.filter((sub) =>
    sub.target_files.every((file) => allowed.has(normalizeRepoPath(file) ?? "")),
  );
  if (valid.length < 2 || valid.length > room) return undefined;
  state.unitsCreated += valid.length;
  const planned: PlanUnit[] = valid.map((sub, index) => ({
    id: `${unit.id}.${index + 1}`,
    goal: sub.goal,
    target_files: sub.target_files.map((file) => normalizeRepoPath(file) ?? file),
    new_files: sub.target_files.filter(
      (file) => state.overlay.read(normalizeRepoPath(file) ?? file) === null,
    ),
    context_files: unit.context_files,
    acceptance: sub.acceptance.length > 0 ? sub.acceptance : unit.acceptance,
    depends_on: index === 0 ? [] : [`${unit.id}.${index}`],
    est_input_tokens: Math.ceil(unit.est_input_tokens / valid.length),
    complexity: unit.complexity,
  }));
  deps.emit?.({ type: "split", unitId: unit.id, subUnitIds: planned.map((sub) => sub.id) });
  deps.log?.append({ type: "split", unitId: unit.id, subUnits: planned });
  const results: UnitResult[] = [];
  for (const sub of planned) {
    const subResult = await runUnit(deps, sub, depth + 1, topId);
    subResult.parentId = unit.id;
    results.push(subResult);
    if (subResult.status !== "accepted") break;
  }
  return results;
}
