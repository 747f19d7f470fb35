import { relative } from "node:path";
import type { Command } from "commander";
import { estimateTask } from "../../app/estimate.js";
import { type ApplyDecision, appliedUnits, applyChanges, runTask, unwrittenCount } from "../../app/run.js";
import type { HierocodeConfig } from "../../config/schema.js";
import { AbortError, ExitCode, isAbortLike, UsageError } from "../../errors.js";
import type { PipelineRole } from "../../pipeline/events.js";
import type { Verifier } from "../../pipeline/hooks.js";
import type { RoleTotals } from "../../pipeline/model-call.js";
import type { PipelineResult } from "../../pipeline/pipeline.js";
import type { Confirm } from "../../pipeline/ports.js";
import { verifierForRun } from "../../verify/index.js";
import { type CassetteFlags, cassetteOptions } from "../cassette.js";
import type { CliContext } from "../context.js";
import { groupedNumber, type Output } from "../output.js";
import { ProgressView, wantsLiveView } from "../progress.js";
import { repositoryFor } from "../repository.js";
import { providerRuntime } from "../runtime.js";
import { printEstimate } from "./estimate.js";

export { repositoryFor };

export interface ModelFlags {
  repo?: string;
  plannerModel?: string;
  drafterModel?: string;
  reviewerModel?: string;
}

/** Loads config for the repository with the model flags applied on top. */
export function configFor(context: CliContext, repoRoot: string, flags: ModelFlags): HierocodeConfig {
  const overrides: Record<string, unknown> = {};
  if (flags.plannerModel) overrides["routing.planner.model"] = flags.plannerModel;
  if (flags.drafterModel) overrides["routing.drafter.model"] = flags.drafterModel;
  if (flags.reviewerModel) overrides["routing.reviewer.model"] = flags.reviewerModel;
  return context.loadConfig({ repoRoot, overrides }).config;
}

/** Runs `work` with an AbortSignal that Ctrl-C triggers (in-flight calls are cancelled). */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function formatUsd(value: number | undefined): string {
  if (value === undefined) return "$?";
  if (value === 0) return "$0";
  return value < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(3)}`;
}

const number = groupedNumber;

export function totalsLines(
  output: Output,
  totals: Record<PipelineRole, RoleTotals>,
  models: Record<PipelineRole, string>,
): string[] {
  const lines: string[] = [];
  let total: number | undefined = 0;
  for (const role of ["planner", "drafter", "reviewer"] as const) {
    const item = totals[role];
    const input = item.usage.inputTokens + item.usage.cacheReadTokens + item.usage.cacheWriteTokens;
    const cache =
      item.usage.cacheReadTokens > 0 ? ` (${number.format(item.usage.cacheReadTokens)} cached)` : "";
    const messages = item.subscriptionMessages > 0 ? ` · ${item.subscriptionMessages} subscription msg` : "";
    lines.push(
      `${role.padEnd(9)} ${models[role].padEnd(24)} ${String(item.calls).padStart(3)} calls  ${number.format(input)} in${cache} / ${number.format(item.usage.outputTokens)} out  ${formatUsd(item.costUsd)}${messages}`,
    );
    total = total === undefined || item.costUsd === undefined ? undefined : total + item.costUsd;
  }
  lines.push(output.paint.bold(`total cost ${formatUsd(total)}`));
  return lines;
}

export function renderSummary(
  output: Output,
  result: PipelineResult,
  models: Record<PipelineRole, string>,
  logFile: string,
  repoRoot: string,
): void {
  const paint = output.paint;
  for (const unit of result.units) {
    const status =
      unit.status === "accepted"
        ? paint.green("accepted")
        : unit.status === "failed"
          ? paint.red("failed  ")
          : paint.yellow("skipped ");
    const by =
      unit.author === "split"
        ? " (split)"
        : unit.escalated
          ? unit.status === "accepted"
            ? " (escalated: written by the planner)"
            : " (escalated)"
          : "";
    const verified =
      unit.verified === false ? paint.yellow(" · tests fail") : unit.verified ? " · verified" : "";
    output.note(
      `${status} ${unit.id}${unit.parentId ? ` (part of ${unit.parentId})` : ""}: ${unit.goal}${by}${verified}${unit.reason ? paint.dim(` — ${unit.reason}`) : ""}`,
    );
  }
  const verification = result.verification;
  if (verification) {
    const final = verification.final ?? verification.baseline;
    if (final.ok) output.note(paint.green(`verify: \`${verification.command}\` passes`));
    else if (final.timedOut || (verification.baseline.timedOut && verification.newFailures.length === 0))
      // A timed-out run proves nothing: never "verified", never "as failing as before".
      output.note(paint.yellow(`verify: \`${verification.command}\` timed out; nothing was verified by it`));
    else if (verification.newFailures.length === 0 && !verification.baseline.ok) {
      // No failure is blamed on the drafts, but the command still fails: say so plainly.
      const still = final.failingTests.slice(0, 5).join(", ");
      output.note(
        paint.yellow(
          `verify: \`${verification.command}\` still fails as it did before the run${still ? ` (${still})` : ""}; no new failures`,
        ),
      );
    }
  }
  output.note(
    `units: ${result.accepted.length} accepted, ${result.failed.length} failed, ${result.skipped.length} skipped · revisions ${result.revisions} · escalations ${result.escalations}${result.planFromCache ? " · plan from cache" : ""}`,
  );
  for (const line of totalsLines(output, result.totals, models)) output.note(line);
  output.note(
    paint.dim(
      `log: ${relative(repoRoot, logFile).startsWith("..") ? logFile : relative(repoRoot, logFile)} (run ${result.runId})`,
    ),
  );
}

/** Asks before the planner drafts a unit; without a terminal, --yes decides (else: declined). */
export function escalationConfirm(
  context: CliContext,
  yes: boolean,
  view?: Pick<ProgressView, "pause" | "resume">,
): Confirm {
  return async (request) => {
    if (yes) return true;
    if (!context.interactive) {
      context.output.warn(
        `unit ${request.unitId} needs escalation (${request.reason}); pass --yes to allow it without a terminal`,
      );
      return false;
    }
    // The live panel steps aside so the question is asked on a clean line.
    view?.pause();
    try {
      const prompts = await import("@clack/prompts");
      const answer = await prompts.confirm({
        message: `Unit ${request.unitId}: ${request.reason}. Let the planner write it? (${request.used}/${request.limit} escalations used)`,
      });
      return answer === true;
    } finally {
      view?.resume();
    }
  };
}

/** Quotes one shell word when needed (for the resume command the user copies). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The exact command that continues run `runId` (with --repo when the user gave one). */
export function resumeCommand(runId: string, repo?: string): string {
  return ["hierocode", "run", "--resume", runId, ...(repo ? ["--repo", repo] : [])].map(shellWord).join(" ");
}

/** The live view for a run on stderr: a panel on a terminal, plain lines otherwise. */
export function progressViewFor(
  context: CliContext,
  stream: NodeJS.WritableStream = process.stderr,
): ProgressView {
  const { output } = context;
  return new ProgressView({
    stream,
    live: wantsLiveView(stream, context.env),
    paint: output.paint,
    debug: output.debug,
  });
}

async function askApply(file: string): Promise<ApplyDecision> {
  const prompts = await import("@clack/prompts");
  const answer = await prompts.select({
    message: `Apply changes to ${file}?`,
    options: [
      { value: "yes", label: "yes" },
      { value: "no", label: "skip" },
      { value: "all", label: "yes to all" },
      { value: "abort", label: "abort (write nothing more)" },
    ],
  });
  return prompts.isCancel(answer) ? "abort" : (answer as ApplyDecision);
}

/**
 * An interrupted or crashed run can be resumed from its log: say how. Ctrl-C becomes an
 * AbortError naming the run and the exact resume command; other errors get a note before them.
 */
export function stoppedRunError(
  error: unknown,
  runId: string | undefined,
  repo: string | undefined,
  output: Output,
  planned = true,
): unknown {
  if (!runId) return error;
  const command = resumeCommand(runId, repo);
  if (!planned) {
    // `--resume` refuses a run whose log has no plan: advertising it would be a dead end.
    if (!isAbortLike(error)) return error;
    return new AbortError(`run ${runId} interrupted before its plan was made`, {
      hint: "nothing to resume; run the same command again",
      details: { runId },
      cause: error,
    });
  }
  if (isAbortLike(error)) {
    return new AbortError(`run ${runId} interrupted`, {
      hint: `resume with: ${command}`,
      details: { runId, resume: command },
      cause: error,
    });
  }
  output.note(`run ${runId} stopped; resume with: ${command}`);
  return error;
}

interface RunFlags extends ModelFlags, CassetteFlags {
  task?: string;
  estimate?: boolean;
  apply?: boolean;
  yes?: boolean;
  json?: boolean;
  resume?: string;
  refreshPlan?: boolean;
  checks?: boolean;
  verify?: string | boolean;
}

export function registerRun(program: Command, context: CliContext): void {
  cassetteOptions(program.command("run"))
    .description("plan → draft → review: print the accepted diffs (write them with --apply)")
    .option("-t, --task <task>", "what to do")
    .option("--repo <dir>", "repository root (default: the git repository of the current folder)")
    .option("--planner-model <model>", "override the planner's model")
    .option("--drafter-model <model>", "override the drafter's model")
    .option("--reviewer-model <model>", "override the reviewer's model")
    .option("--estimate", "print the expected and worst-case cost/quota, then exit without calling any model")
    .option("--apply", "write the accepted changes to the working tree (asks per file unless --yes)")
    .option("-y, --yes", "do not ask: allow escalations and apply every accepted file")
    .option("--resume <run-id>", "continue an interrupted run from its log")
    .option("--refresh-plan", "ignore the plan cache (the new plan is cached)")
    .option("--no-checks", "skip the deterministic draft checks (syntax, dependencies, secrets, size)")
    .option(
      "--verify [command]",
      "run the project's tests after the units (default: policy.verify_command or detected)",
    )
    .option("--no-verify", "do not run policy.verify_command for this run")
    .option("--json", "print the full result as JSON")
    .action(async (flags: RunFlags) => {
      const { output } = context;
      const repoRoot = repositoryFor(context, flags.repo);
      if (!flags.task && !flags.resume)
        throw new UsageError("a task is required", {
          hint: 'hierocode run -t "add input validation to the login endpoint"',
        });
      // --estimate applies nothing: no terminal is needed to answer per file.
      if (flags.apply && !flags.yes && !flags.estimate && !context.interactive) {
        throw new UsageError("--apply asks per file, but there is no terminal", {
          hint: "add --yes to apply every accepted file",
        });
      }
      const config = configFor(context, repoRoot, flags);
      const runtime = providerRuntime(context, flags);
      if (flags.estimate) {
        if (!flags.task) throw new UsageError("--estimate needs -t");
        const outcome = await estimateTask({ config, env: context.env, repoRoot, runtime, task: flags.task });
        printEstimate(context, outcome);
        return;
      }
      await withInterrupt(async (signal) => {
        // --verify CMD, bare --verify (policy command or detected), or policy.verify_command alone;
        // --no-verify skips it.
        const verifier: Verifier | undefined = await verifierForRun({
          repoRoot,
          flag: flags.verify,
          policy: config.policy,
          env: context.env,
        });
        // JSON mode keeps stdout pure JSON; the view writes to stderr only.
        const view = progressViewFor(context);
        const outcome = await runTask({
          config,
          env: context.env,
          repoRoot,
          runtime,
          ...(flags.task ? { task: flags.task } : {}),
          ...(flags.resume ? { resumeRunId: flags.resume } : {}),
          // A cassette holds the planner call: recording and replaying never read the plan cache.
          ...(flags.refreshPlan || flags.record || flags.replay ? { refreshPlan: true } : {}),
          ...(flags.checks === false ? { checker: null } : {}),
          ...(verifier ? { verifier } : {}),
          // With --apply the run is marked finished only after its writes.
          ...(flags.apply ? { deferFinish: true } : {}),
          confirm: escalationConfirm(context, Boolean(flags.yes), view),
          emit: view.handle,
          signal,
        }).catch((error: unknown) => {
          view.stop();
          const planned = view.state.stage !== "starting" && view.state.stage !== "planning";
          throw stoppedRunError(error, view.state.runId, flags.repo, output, planned);
        });
        view.stop();
        const { result, logFile, setup, finish } = outcome;
        const models = {
          planner: setup.roles.planner.model,
          drafter: setup.roles.drafter.model,
          reviewer: setup.roles.reviewer.model,
        };
        let unwritten = 0;
        const apply = async () => {
          const applied = await applyChanges(
            repoRoot,
            result.applicable,
            flags.yes ? undefined : (change) => askApply(change.file),
            { units: appliedUnits(result), env: context.env },
          );
          unwritten = unwrittenCount(applied);
          finish({ applied });
          return applied;
        };
        if (output.json) {
          const applied = flags.apply ? await apply() : undefined;
          const failure = runFailure(result, unwritten);
          output.printJson({
            ok: failure === undefined,
            logFile,
            ...result,
            ...(applied ? { applied } : {}),
            ...(failure ? { error: failure } : {}),
          });
        } else {
          // The diff and the summary come first, so per-file questions follow what they ask about.
          if (result.diff) output.print(result.diff.trimEnd());
          renderSummary(output, result, models, logFile, repoRoot);
          if (flags.apply) {
            const applied = await apply();
            if (applied.written.length > 0)
              output.note(output.paint.green(`wrote ${applied.written.join(", ")}`));
            if (applied.alreadyWritten.length > 0)
              output.note(`already written by an earlier apply: ${applied.alreadyWritten.join(", ")}`);
            if (applied.skipped.length > 0) output.note(`not written: ${applied.skipped.join(", ")}`);
            if (applied.conflicts.length > 0) {
              output.warn(
                `changed on disk since the run read them, not written: ${applied.conflicts.join(", ")}`,
              );
            }
            for (const refusal of applied.refused)
              output.warn(`refused, not written: ${refusal.file} (${refusal.reason})`);
            for (const held of applied.heldBack)
              output.warn(
                `not written: ${held.file} (unit ${held.units.join(", ")} depends on ${held.because.join(", ")}, which could not be written)`,
              );
          } else if (result.diff) {
            output.note(
              output.paint.dim(
                "nothing was written; run again with --apply, or pipe the diff to `git apply`",
              ),
            );
          }
        }
        if (!flags.apply) finish();
        // Accepted work that was not written outranks every other outcome: the tree is not what the run says.
        if (unwritten > 0) process.exitCode = ExitCode.editsFailed;
        else if (result.failed.length > 0 || result.skipped.length > 0)
          process.exitCode = ExitCode.unitsFailed;
        else if (result.verification && result.verification.unverifiedUnits.length > 0)
          process.exitCode = ExitCode.verifyFailed;
      });
    });
}

/**
 * Why a finished run did not succeed, as the `error` of `--json` (`{ok: false, error: {code,
 * message, hint}}`, like every command), in the order of its exit code: unwritten accepted work
 * (9), units not accepted (12), accepted work that still fails verification (11). Undefined when
 * the run exits 0.
 */
export function runFailure(
  result: {
    failed: readonly string[];
    skipped: readonly string[];
    verification?: { unverifiedUnits: readonly string[] } | undefined;
  },
  unwritten: number,
): { code: string; message: string; hint: string } | undefined {
  if (unwritten > 0)
    return {
      code: "edits_failed",
      message: `${unwritten} accepted change(s) were not written (see applied)`,
      hint: "resolve the conflicts or refusals listed in applied, then apply again",
    };
  if (result.failed.length > 0 || result.skipped.length > 0)
    return {
      code: "units_failed",
      message: `units not accepted: ${[...result.failed, ...result.skipped].join(", ")}`,
      hint: "see units[] for each unit's verdicts and the run log (logFile) for the replies",
    };
  const unverified = result.verification?.unverifiedUnits ?? [];
  if (unverified.length > 0)
    return {
      code: "verify_failed",
      message: `accepted units still fail verification: ${unverified.join(", ")}`,
      hint: "see verification in the output and the run log",
    };
  return undefined;
}
