/** `hierocode review -t … --file F`: one reviewer call on one file; prints the verdict. */
import type { Command } from "commander";
import { reviewFile } from "../../app/review.js";
import { ownFeedback } from "../../pipeline/review.js";
import { type CassetteFlags, cassetteOptions } from "../cassette.js";
import type { CliContext } from "../context.js";
import { targetFileFromCwd } from "../repository.js";
import { providerRuntime } from "../runtime.js";
import { configFor, type ModelFlags, repositoryFor, withInterrupt } from "./run.js";

export function registerReview(program: Command, context: CliContext): void {
  cassetteOptions(program.command("review"))
    .description("ask the reviewer to judge one file (its uncommitted diff, or its content) against a task")
    .requiredOption("-t, --task <task>", "what the file should achieve")
    .requiredOption("-f, --file <path>", "the file to review (relative to the current folder)")
    .option("--repo <dir>", "repository root")
    .option("--reviewer-model <model>", "override the reviewer's model")
    .option("--json", "machine-readable output")
    .action(async (flags: ModelFlags & CassetteFlags & { task: string; file: string }) => {
      const { output } = context;
      const repoRoot = repositoryFor(context, flags.repo);
      const config = configFor(context, repoRoot, flags);
      const file = targetFileFromCwd(context, repoRoot, flags.file, "--file", { mustExist: true });
      const outcome = await withInterrupt((signal) =>
        reviewFile({
          config,
          env: context.env,
          repoRoot,
          runtime: providerRuntime(context, flags),
          task: flags.task,
          file,
          signal,
        }),
      );
      const { verdict, action } = outcome.review;
      if (output.json) {
        output.printJson({
          ok: true,
          file: outcome.file,
          reviewed: outcome.reviewed,
          action,
          verdict,
          totals: outcome.totals,
        });
        return;
      }
      const paint = action === "accept" ? output.paint.green : output.paint.yellow;
      output.print(
        `${paint(action)} (confidence ${verdict.confidence}) — ${outcome.file} (${outcome.reviewed})`,
      );
      const feedback = ownFeedback(verdict);
      if (feedback) output.print(feedback);
      for (const issue of verdict.issues) output.print(`- ${issue}`);
    });
}
