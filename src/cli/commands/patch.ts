import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { applyReplyToRepo, failureReport, type RepoApplyReport } from "../../edits/index.js";
import { printablePath } from "../../edits/path-rules.js";
import { ExitCode, UsageError } from "../../errors.js";
import { type CliContext, protectFromConfig } from "../context.js";
import { repositoryFor } from "../repository.js";

interface PatchApplyFlags {
  repo?: string;
  dryRun?: boolean;
  partial?: boolean;
}

async function readInput(context: CliContext, file: string | undefined): Promise<string> {
  if (file !== undefined && file !== "-") {
    try {
      return readFileSync(resolve(context.cwd, file), "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        `cannot read ${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder" : (code ?? String(error))}`,
        { hint: `paths are relative to the current folder (${context.cwd}); - or no file reads stdin` },
      );
    }
  }
  if (process.stdin.isTTY)
    throw new UsageError("no input", {
      hint: "pass a FILE with the model reply or diff, or pipe it on stdin",
    });
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Tracked files help recognise filename lines such as `Makefile`; outside git there are none. */
function trackedFiles(repoRoot: string): string[] {
  try {
    const listing = execFileSync("git", ["ls-files", "-z"], {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 64 * 1024 * 1024,
    });
    return listing.split("\0").filter((path) => path.length > 0);
  } catch {
    return [];
  }
}

function printHuman(context: CliContext, report: RepoApplyReport, flags: PatchApplyFlags): void {
  const { output } = context;
  if (flags.dryRun) {
    if (report.diff) output.print(report.diff.trimEnd());
    else output.note("no changes");
  }
  for (const outcome of report.outcomes) {
    const mark = outcome.status === "applied" ? output.paint.green("applied") : output.paint.red("FAILED ");
    const detail = outcome.status === "applied" ? outcome.strategy : outcome.reason;
    output.note(
      `${mark} #${outcome.index + 1} ${printablePath(outcome.file)} (${outcome.format}${detail ? `: ${detail}` : ""})`,
    );
  }
  for (const problem of report.problems) {
    output.note(`${output.paint.red("UNREADABLE")} #${problem.index + 1}: ${problem.reason}`);
  }
  if (!report.ok) {
    output.note("");
    output.note(
      failureReport({ ok: false, outcomes: report.outcomes, changes: report.changes }, report.problems),
    );
    if (!flags.partial)
      output.note(output.paint.yellow("nothing was written (use --partial to write the edits that applied)"));
  }
  if (report.written)
    output.note(`wrote ${report.changes.length} file${report.changes.length === 1 ? "" : "s"}`);
}

export function registerPatch(program: Command, context: CliContext): void {
  const patch = program.command("patch").description("apply model edits and diffs");
  patch
    .command("apply")
    .description(
      "apply a model reply (SEARCH/REPLACE blocks, unified diffs or whole files) to the repository",
    )
    .argument("[file]", "file with the reply or diff; - or nothing reads stdin")
    .option("--repo <dir>", "repository to apply to (default: the git repository containing the cwd)")
    .option("--dry-run", "print the resulting unified diff and write nothing")
    .option("--partial", "write the edits that apply even when others fail")
    .option("--json", "machine-readable output")
    .action(async (file: string | undefined, flags: PatchApplyFlags) => {
      const repoRoot = repositoryFor(context, flags.repo);
      const reply = await readInput(context, file);
      protectFromConfig(context, repoRoot);
      const report = applyReplyToRepo(repoRoot, reply, {
        dryRun: flags.dryRun ?? false,
        partial: flags.partial ?? false,
        knownFiles: trackedFiles(repoRoot),
        env: context.env,
      });
      if (context.output.json) {
        context.output.printJson({
          ok: report.ok,
          written: report.written,
          edits: report.outcomes.map((outcome) => ({
            file: outcome.file,
            format: outcome.format,
            status: outcome.status,
            ...(outcome.strategy ? { strategy: outcome.strategy } : {}),
            ...(outcome.note ? { note: outcome.note } : {}),
            ...(outcome.repeats ? { repeats: outcome.repeats } : {}),
            ...(outcome.reason ? { reason: outcome.reason } : {}),
            ...(outcome.didYouMean !== undefined
              ? { didYouMean: outcome.didYouMean, didYouMeanLine: outcome.didYouMeanLine }
              : {}),
          })),
          problems: report.problems,
          diff: report.diff,
          ...(report.ok ? {} : { error: patchFailure(report, flags.partial ?? false) }),
        });
      } else {
        printHuman(context, report, flags);
      }
      if (!report.ok) process.exitCode = ExitCode.editsFailed;
    });
}

/**
 * Why `patch apply` failed, as the `error` of `--json` (`{code, message, hint}`, like every
 * command): the first failed edit's reason, and whether the others were written (`--partial`).
 */
function patchFailure(
  report: {
    written: boolean;
    outcomes: ReadonlyArray<{ file: string; status: string; reason?: string }>;
    problems: ReadonlyArray<{ reason: string }>;
  },
  partial: boolean,
): { code: string; message: string; hint: string } {
  const failed = report.outcomes.filter((outcome) => outcome.status === "failed");
  const first = failed[0];
  const what =
    failed.length > 0
      ? `${failed.length} of ${report.outcomes.length} edit(s) failed to apply (${printablePath(first?.file ?? "")}: ${first?.reason ?? "failed"})`
      : `the reply could not be read: ${report.problems[0]?.reason ?? "unreadable"}`;
  return {
    code: "edits_failed",
    message: `${what}; ${report.written ? "the edits that applied were written (--partial)" : "nothing was written"}`,
    hint: partial
      ? "see edits[] for each failure; resend the failed blocks with text copied from the current file"
      : "see edits[] for each failure; --partial writes the edits that applied",
  };
}
