/** `hierocode plan -t …`: print the validated plan (JSON with --json), no drafting. */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { planTask } from "../../app/plan.js";
import { UsageError } from "../../errors.js";
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
      // Checked before the planner is paid: a folder cannot take the plan's file.
      if (
        flags.write &&
        statSync(resolve(context.cwd, flags.write), { throwIfNoEntry: false })?.isDirectory()
      )
        throw new UsageError(`--write ${flags.write} is a folder`, {
          hint: "name a file, e.g. --write PLAN.md (relative to the current folder)",
        });
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
        writeFileAtomic(resolve(context.cwd, flags.write), markdown);
        output.note(`wrote ${flags.write}`);
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
