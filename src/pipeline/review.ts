/**
 * The reviewer's call: task, unit, diff and the changed code in; a compact verdict out, capped at
 * `review_max_output_tokens`. A verdict whose confidence is below the threshold counts as
 * escalate. A malformed verdict is asked for once more before it becomes an error.
 */
import { ModelOutputError } from "../errors.js";
import type { ChangedFile, CheckFinding } from "./hooks.js";
import type { ModelCaller } from "./model-call.js";
import type { PlanUnit } from "./plan-schema.js";
import { fileBlock, reviewerSystem, reviewerUserPrompt } from "./prompts.js";
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
  maxOutputTokens: number;
  confidenceThreshold: number;
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
  const codeBlocks = input.changes
    .filter((change) => change.after !== null)
    .map((change) => fileBlock(change.file, change.after ?? ""));
  const user = reviewerUserPrompt({
    task: input.task,
    unit: input.unit,
    diff: input.diff,
    codeBlocks,
    findings: input.findings,
    ...(input.verifyReport ? { verifyReport: input.verifyReport } : {}),
  });
  const request = {
    system: reviewerSystem,
    messages: [{ role: "user" as const, content: user }],
    maxOutputTokens: options.maxOutputTokens,
    jsonSchema: verdictJsonSchema(),
    schemaName: "review_verdict",
    temperature: 0,
  };
  let verdict: ReviewVerdict;
  try {
    verdict = (
      await caller.callJson(
        "reviewer",
        request,
        verdictSchema,
        { purpose: input.purpose, unitId: input.unit.id },
        repairVerdict,
      )
    ).value;
  } catch (error) {
    if (!(error instanceof ModelOutputError)) throw error;
    const retry = {
      ...request,
      messages: [
        ...request.messages,
        { role: "assistant" as const, content: String(error.details?.received ?? "") },
        {
          role: "user" as const,
          content: `That was not valid: ${error.message}. Answer only with the JSON verdict.`,
        },
      ],
    };
    verdict = (
      await caller.callJson(
        "reviewer",
        retry,
        verdictSchema,
        { purpose: `${input.purpose} retry`, unitId: input.unit.id },
        repairVerdict,
      )
    ).value;
  }
  const action = verdict.confidence < options.confidenceThreshold ? "escalate" : verdict.action;
  return { verdict, action };
}

export function feedbackText(verdict: ReviewVerdict): string {
  const issues = verdict.issues.map((issue) => `- ${issue}`).join("\n");
  return [verdict.feedback, issues].filter(Boolean).join("\n");
}
