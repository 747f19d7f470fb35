/**
 * The reviewer's call: task, unit, diff and the changed code in; a verdict out, capped at
 * `review_max_output_tokens` (sent as max tokens). Two checkpoint shapes:
 * - compact (default): the seed's validator `{pass, issues ≤ 3, confidence, escalate}` under a
 *   100-token cap; the issues are the drafter's feedback. The reviewer cannot propose sub-units
 *   here: a unit too big for the drafter is split by the planner in its own call (split.ts).
 * - full: `{action, feedback, issues, confidence, sub_units}`.
 * Either shape is accepted whichever was asked for. A verdict whose confidence is below the
 * threshold counts as escalate. A malformed verdict, or one cut off at the cap (never read as a
 * pass, however it parses), is asked for once more before it becomes a ModelOutputError.
 */
import { ModelOutputError } from "../errors.js";
import type { ChangedFile, CheckFinding } from "./hooks.js";
import { type CallRequest, type ModelCaller, measurePrompt } from "./model-call.js";
import type { PlanUnit } from "./plan-schema.js";
import { compactReviewerSystem, fileBlock, reviewerSystem, reviewerUserPrompt } from "./prompts.js";
import { type ReviewVerdict, repairVerdict, verdictJsonSchema, verdictSchema } from "./review-schema.js";

export interface ReviewInput {
  task: string;
  unit: PlanUnit;
  diff: string;
  changes: ChangedFile[];
  findings: CheckFinding[];
  verifyReport?: string;
  purpose: string;
}

export interface ReviewOptions {
  /** Output cap in tokens, sent to the provider as max tokens. */
  maxOutputTokens: number;
  confidenceThreshold: number;
  /** Which verdict shape to ask for (default compact). */
  checkpoint?: "compact" | "full";
}

export interface ReviewOutcome {
  verdict: ReviewVerdict;
  /** The action the pipeline takes (low confidence turns into escalate). */
  action: ReviewVerdict["action"];
}

export async function reviewUnit(
  caller: ModelCaller,
  input: ReviewInput,
  options: ReviewOptions,
): Promise<ReviewOutcome> {
  const checkpoint = options.checkpoint ?? "compact";
  const system = checkpoint === "compact" ? compactReviewerSystem(options.maxOutputTokens) : reviewerSystem;
  const allBlocks = input.changes
    .filter((change) => change.after !== null)
    .map((change) => ({ file: change.file, block: fileBlock(change.file, change.after ?? "") }));
  const prompt = (codeBlocks: string[]) =>
    reviewerUserPrompt({
      task: input.task,
      unit: input.unit,
      diff: input.diff,
      codeBlocks,
      findings: input.findings,
      ...(input.verifyReport ? { verifyReport: input.verifyReport } : {}),
    });
  // A reviewer with a fixed context (a local model): the whole changed files go in only while
  // they fit; a file that does not is named instead (the diff carries the change with context).
  const codeBlocks: string[] = [];
  const context = caller.contextOf("reviewer");
  if (context) {
    const measure = (text: string) =>
      measurePrompt(
        {
          model: "",
          system,
          messages: [{ role: "user", content: text }],
          maxOutputTokens: 0,
        },
        context.counter,
      );
    const room = () => context.numCtx - options.maxOutputTokens - measure(prompt(codeBlocks));
    for (const { file, block } of allBlocks) {
      const cost = context.counter ? context.counter.count(block) + 2 : Math.ceil(block.length / 3.5) + 2;
      if (cost <= room()) codeBlocks.push(block);
      else
        codeBlocks.push(
          `${file}: too large to show whole in the reviewer's context; judge it from the diff above`,
        );
    }
  } else {
    codeBlocks.push(...allBlocks.map((entry) => entry.block));
  }
  const user = prompt(codeBlocks);
  const request = {
    system,
    messages: [{ role: "user" as const, content: user }],
    maxOutputTokens: options.maxOutputTokens,
    jsonSchema: verdictJsonSchema(checkpoint),
    schemaName: "review_verdict",
    temperature: 0,
  };
  const ask = async (call: CallRequest, purpose: string): Promise<ReviewVerdict> => {
    const { value, result } = await caller.callJson(
      "reviewer",
      call,
      verdictSchema,
      { purpose, unitId: input.unit.id },
      repairVerdict,
    );
    if (result.finishReason === "length") {
      // A verdict cut off at the cap may still parse after repair (`{"pass": true, "issues": ["x`):
      // it is never taken, whatever it says.
      throw new ModelOutputError(
        `the reviewer's verdict was cut off at ${call.maxOutputTokens} output tokens (review_max_output_tokens)`,
        {
          expected: "a complete verdict within the output cap",
          received: result.text || (result.json !== undefined ? JSON.stringify(result.json) : ""),
          hint: "raise policy.review_max_output_tokens, or use a reviewer that answers briefly",
          details: { truncated: true, maxOutputTokens: call.maxOutputTokens },
        },
      );
    }
    return value;
  };
  let verdict: ReviewVerdict;
  try {
    verdict = await ask(request, input.purpose);
  } catch (error) {
    if (!(error instanceof ModelOutputError)) throw error;
    const cutOff = error.details?.truncated === true || /cut off/.test(error.message);
    const retry = {
      ...request,
      messages: [
        ...request.messages,
        { role: "assistant" as const, content: String(error.details?.received ?? "") },
        {
          role: "user" as const,
          content: cutOff
            ? `Your verdict was cut off at ${options.maxOutputTokens} tokens. Answer again with only the JSON verdict, at most 3 issues of a few words each.`
            : `That was not valid: ${error.message}. Answer only with the JSON verdict.`,
        },
      ],
    };
    verdict = await ask(retry, `${input.purpose} retry`);
  }
  const action = verdict.confidence < options.confidenceThreshold ? "escalate" : verdict.action;
  return { verdict, action };
}

/**
 * The drafter's feedback from a verdict: the reviewer's own feedback, then the issues as a list.
 * A compact verdict's feedback is its issues (repairVerdict), so they are not given twice.
 */
export function feedbackText(verdict: ReviewVerdict): string {
  const issues = verdict.issues.map((issue) => `- ${issue}`).join("\n");
  return [ownFeedback(verdict), issues].filter(Boolean).join("\n");
}

/** The verdict's feedback unless it only repeats its issues (the compact checkpoint's shape). */
export function ownFeedback(verdict: ReviewVerdict): string {
  return verdict.feedback === verdict.issues.join("\n") ? "" : verdict.feedback;
}
