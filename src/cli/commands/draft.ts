/** `hierocode draft -t … --file F`: one drafter call for one file; prints the diff. */
import type { Command } from "commander";
import { draftFile } from "../../app/draft.js";
import { ExitCode } from "../../errors.js";
import { type CassetteFlags, cassetteOptions } from "../cassette.js";
import type { CliContext } from "../context.js";
import { targetFileFromCwd } from "../repository.js";
import { providerRuntime } from "../runtime.js";
import { configFor, type ModelFlags, repositoryFor, withInterrupt } from "./run.js";

export function registerDraft(program: Command, context: CliContext): void {
  cassetteOptions(program.command("draft"))
    .description("ask the drafter for one file's change and print the diff (one call, no review)")
    .requiredOption("-t, --task <task>", "what to change")
    .requiredOption("-f, --file <path>", "the file to change or create (relative to the current folder)")
    .option("--repo <dir>", "repository root")
    .option("--drafter-model <model>", "override the drafter's model")
    .option("--json", "machine-readable output")
    .action(async (flags: ModelFlags & CassetteFlags & { task: string; file: string }) => {
      const { output } = context;
      const repoRoot = repositoryFor(context, flags.repo);
      const config = configFor(context, repoRoot, flags);
      // Checked before the drafter is called: a folder, .git/ or a symlink out is no file to draft.
      const target = targetFileFromCwd(context, repoRoot, flags.file, "--file", { mustExist: false });
      const { file, outcome, totals } = await withInterrupt((signal) =>
        draftFile({
          config,
          env: context.env,
          repoRoot,
          runtime: providerRuntime(context, flags),
          task: flags.task,
          file: target,
          signal,
        }),
      );
      if (output.json)
        output.printJson({
          file,
          ...outcome,
          totals,
          // Like every command: a failure carries {code, message, hint} in `error`.
          ...(outcome.ok
            ? {}
            : {
                error: {
                  code: "edits_failed",
                  message: `no usable edit: ${outcome.reason}`,
                  hint: "try again, or give the task more detail (--json: report shows what the drafter sent)",
                },
              }),
        });
      else if (outcome.ok) output.print(outcome.diff.trimEnd());
      else {
        output.note(`${output.paint.red("no usable edit:")} ${outcome.reason}`);
        if ("report" in outcome) output.note(outcome.report);
      }
      if (!outcome.ok) process.exitCode = ExitCode.editsFailed;
    });
}
