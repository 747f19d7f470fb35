/**
 * `hierocode review -t … --file F`: one reviewer call on one file — its uncommitted diff against
 * HEAD when it has one, else its content — with the same compact verdict as the pipeline.
 */
import { spawnSync } from "node:child_process";
import { UsageError } from "../errors.js";
import { probeCapacity } from "../pipeline/capacity.js";
import type { PipelineRole } from "../pipeline/events.js";
import type { RoleTotals } from "../pipeline/model-call.js";
import { fixRunContexts } from "../pipeline/prepare-plan.js";
import { type ReviewOutcome, reviewUnit } from "../pipeline/review.js";
import {
  checkedFile,
  refuseRemoteSecretFile,
  type SingleFileOptions,
  singleCallCaller,
  singleFileUnit,
} from "./draft.js";
import { setupPipeline } from "./run.js";

export interface ReviewFileOutcome {
  file: string;
  reviewed: "diff" | "content";
  review: ReviewOutcome;
  totals: Record<PipelineRole, RoleTotals>;
}

function workingTreeDiff(repoRoot: string, file: string): string {
  const result = spawnSync("git", ["diff", "HEAD", "--", file], { cwd: repoRoot, encoding: "utf8" });
  return result.status === 0 ? result.stdout : "";
}

export async function reviewFile(options: SingleFileOptions): Promise<ReviewFileOutcome> {
  const setup = setupPipeline(options);
  const file = checkedFile(options.file);
  refuseRemoteSecretFile(file, "reviewer", setup.roles.reviewer, options.config);
  const content = setup.repo.readFile(file);
  if (content === null) throw new UsageError(`--file: ${file} does not exist`);
  const caller = singleCallCaller(options, setup);
  // A local reviewer gets the same one num_ctx a run would use, and the prompt is measured against it.
  const profile = await probeCapacity(setup.roles.drafter.provider, setup.roles.drafter.model, {
    memory: setup.memory,
    exactTokens: setup.counter.exact,
    ...(setup.roles.drafter.pinnedNumCtx ? { numCtxOverride: setup.roles.drafter.pinnedNumCtx } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await fixRunContexts({ ...setup, ...(options.signal ? { signal: options.signal } : {}) }, caller, profile);
  const diff = workingTreeDiff(options.repoRoot, file);
  const review = await reviewUnit(
    caller,
    {
      task: options.task,
      unit: singleFileUnit(options.task, file, true),
      diff,
      changes: [{ file, before: content, after: content }],
      findings: [],
      purpose: "review file",
    },
    {
      maxOutputTokens: setup.policy.reviewMaxOutputTokens,
      confidenceThreshold: setup.policy.confidenceThreshold,
      checkpoint: setup.policy.reviewCheckpoint,
    },
  );
  return { file, reviewed: diff ? "diff" : "content", review, totals: caller.totals };
}
