/**
 * The reviewer's call: task, unit, diff and the changed code in; a compact verdict out, capped at
 * `review_max_output_tokens`. A verdict whose confidence is below the threshold counts as
 * escalate. A malformed verdict is asked for once more before it becomes an error.
 */
import { ModelOutputError } from "../errors.js";
import type { ChangedFile, CheckFinding } from "./hooks.js";
import { type ModelCaller, measurePrompt } from "./model-call.js";
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
          system: reviewerSystem,
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
