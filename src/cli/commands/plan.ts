/** `hierocode plan -t …`: print the validated plan (JSON with --json), no drafting. */
import { closeSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Command } from "commander";
import { planTask } from "../../app/plan.js";
import { checkWritablePath } from "../../edits/path-rules.js";
import { HierocodeError, UsageError } from "../../errors.js";
import { describeProfile } from "../../pipeline/capacity.js";
import { type ComplexityScore, unitKindOf } from "../../routing/complexity.js";
import { repoHasTests, scoreUnit } from "../../routing/routing.js";
import { renderPlanMarkdown } from "../../supervisor/plan-markdown.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { detectVerifyCommand } from "../../verify/index.js";
import { type CassetteFlags, cassetteOptions } from "../cassette.js";
import type { CliContext } from "../context.js";
import { providerRuntime } from "../runtime.js";
import { configFor, type ModelFlags, repositoryFor, totalsLines, withInterrupt } from "./run.js";

type PlanFlags = ModelFlags & CassetteFlags & { task: string; refreshPlan?: boolean; write?: string };

export function registerPlan(program: Command, context: CliContext): void {
  cassetteOptions(program.command("plan"))
    .description("make (or reuse from the cache) the plan for a task and print it; nothing is drafted")
    .requiredOption("-t, --task <task>", "what to do")
    .option("--repo <dir>", "repository root")
    .option("--planner-model <model>", "override the planner's model")
    .option("--drafter-model <model>", "override the drafter's model (its capacity shapes the plan)")
    .option("--refresh-plan", "ignore the plan cache")
    .option("--json", "print the plan as JSON")
    .option(
      "--write <file>",
      "also write the plan as HACO tickets (e.g. PLAN.md; relative to the current folder)",
    )
    .action(async (flags: PlanFlags) => {
      const { output } = context;
      const repoRoot = repositoryFor(context, flags.repo);
      const config = configFor(context, repoRoot, flags);
      // Checked before the planner is paid: where the plan's file may go.
      if (flags.write) checkPlanTarget(context, repoRoot, flags.write);
      const outcome = await withInterrupt((signal) =>
        planTask({
          config,
          env: context.env,
          repoRoot,
          runtime: providerRuntime(context, flags),
          task: flags.task,
          signal,
          // Warnings (e.g. memory embeddings unavailable) go to stderr; progress stays quiet.
          emit: (event) => {
            if (event.type === "warning") output.warn(event.message);
          },
          // A cassette holds the planner call: recording and replaying never read the plan cache.
          ...(flags.refreshPlan || flags.record || flags.replay ? { refreshPlan: true } : {}),
        }),
      );
      if (flags.write) {
        const verifyCommand = config.policy.verify_command ?? detectVerifyCommand(repoRoot)?.command;
        const markdown = renderPlanMarkdown(outcome.plan, {
          task: flags.task,
          ...(verifyCommand ? { verifyCommand } : {}),
        });
        // Relative to the current folder (like every path the CLI takes), not to the repository
        // root: the note names the resolved file so a run from a subfolder is never ambiguous.
        const target = resolve(context.cwd, flags.write);
        writeFileAtomic(target, markdown);
        output.note(`wrote ${flags.write} (${target})`);
      }
      // The router's own score of each unit (seed heuristic + repository signals), beside the planner's.
      const testsPresent = repoHasTests(repoRoot);
      const scores: Record<string, ComplexityScore & { kind: string }> = {};
      for (const unit of outcome.plan.units)
        scores[unit.id] = { ...scoreUnit(repoRoot, unit, testsPresent), kind: unitKindOf(unit) };
      if (output.json) {
        output.printJson({
          ok: true,
          fromCache: outcome.fromCache,
          key: outcome.key,
          profile: outcome.profile,
          plan: outcome.plan,
          scores,
          totals: outcome.totals,
        });
        return;
      }
      output.print(`Plan: ${outcome.plan.summary}${outcome.fromCache ? output.paint.dim(" (cached)") : ""}`);
      for (const unit of outcome.plan.units) {
        output.print(`\n${output.paint.bold(unit.id)} ${unit.goal}`);
        output.print(
          `  targets: ${unit.target_files.join(", ")}${unit.new_files.length ? ` (new: ${unit.new_files.join(", ")})` : ""}`,
        );
        if (unit.context_files.length) output.print(`  context: ${unit.context_files.join(", ")}`);
        if (unit.depends_on.length) output.print(`  after:   ${unit.depends_on.join(", ")}`);
        for (const item of unit.acceptance) output.print(`  ✓ ${item}`);
        output.print(output.paint.dim(`  ~${unit.est_input_tokens} tokens, complexity ${unit.complexity}`));
        const score = scores[unit.id];
        if (score)
          output.print(
            output.paint.dim(
              `  scored ${score.score} (${score.band}, ${score.kind.replace("_", " ")}): ${score.features
                .map((feature) => `${feature.name} ${feature.points >= 0 ? "+" : ""}${feature.points}`)
                .join(", ")}`,
            ),
          );
      }
      output.note(output.paint.dim(`drafter: ${describeProfile(outcome.profile)}`));
      const models = {
        planner: config.routing.planner?.model ?? "?",
        drafter: config.routing.drafter?.model ?? "?",
        reviewer: "",
      };
      output.note(totalsLines(output, outcome.totals, models)[0] ?? "");
    });
}

/** The first bytes of a file (at most `length`), or "" when it cannot be read. */
function headOf(path: string, length: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0)).toString("utf8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Where `plan --write FILE` may write (FILE relative to the current folder), checked before the
 * planner is paid; UsageError (exit 2) otherwise. The plan is model text, so inside the repository
 * the file obeys the rules of a model's edit: not in `.git/`, not hierocode's control files nor
 * `policy.protected_paths`, and no folder symlinked out of the repository. A file outside the
 * repository (the user named it, e.g. `--repo ../app --write plans/PLAN.md`) is allowed. Anywhere,
 * an existing file is only replaced when it is a plan (`# PLAN…`, as this command and
 * `supervisor init` write them), never the user's code or notes.
 */
function checkPlanTarget(context: CliContext, repoRoot: string, file: string): void {
  const target = resolve(context.cwd, file);
  const stat = statSync(target, { throwIfNoEntry: false });
  if (stat?.isDirectory())
    throw new UsageError(`--write ${file} is a folder`, {
      hint: "name a file, e.g. --write PLAN.md (relative to the current folder)",
    });
  const lexical = relative(repoRoot, target).split("\\").join("/");
  const lexicallyInside = !(lexical === ".." || lexical.startsWith("../") || isAbsolute(lexical));
  // The nearest folder that exists, resolved: a symlinked folder inside the repository may lead out.
  let folder = dirname(target);
  while (!statSync(folder, { throwIfNoEntry: false })) folder = dirname(folder);
  const realRoot = realpathSync(repoRoot);
  const realFolder = realpathSync(folder);
  const reallyInside = realFolder === realRoot || realFolder.startsWith(`${realRoot}${sep}`);
  if (lexicallyInside && !reallyInside)
    throw new UsageError(
      `--write ${file} leads out of the repository (through a symlink, to ${realFolder})`,
      {
        hint: "write the plan to a file inside the repository, e.g. --write PLAN.md",
      },
    );
  if (lexicallyInside || reallyInside) {
    const inside = lexicallyInside
      ? lexical
      : relative(realRoot, join(realFolder, basename(target)))
          .split("\\")
          .join("/");
    try {
      checkWritablePath(inside);
    } catch (error) {
      if (!(error instanceof HierocodeError)) throw error;
      throw new UsageError(`--write ${file}: ${error.message}`, {
        hint: "write the plan to a file of your own, e.g. --write PLAN.md",
      });
    }
  }
  if (stat && !headOf(target, 16).startsWith("# PLAN"))
    throw new UsageError(
      `refusing to overwrite ${file}: it is not a plan (it does not start with "# PLAN")`,
      {
        hint: "name a new file, or remove this one first if it may go",
      },
    );
}
