/** `hierocode estimate -t …` (also `run --estimate`): cost and quota before anything is spent. */
import type { Command } from "commander";
import { type EstimateOutcome, estimateTask } from "../../app/estimate.js";
import type { RoleEstimate } from "../../cost/estimate.js";
import type { CliContext } from "../context.js";
import { groupedNumber } from "../output.js";
import { providerRuntime } from "../runtime.js";
import { configFor, formatUsd, type ModelFlags, repositoryFor } from "./run.js";

const number = groupedNumber;

function roleLine(role: string, model: string, expected: RoleEstimate, worst: RoleEstimate): string {
  const cost = (item: RoleEstimate) =>
    item.subscriptionMessages > 0 ? `${item.subscriptionMessages} msg` : formatUsd(item.usd);
  return `${role.padEnd(9)} ${model.padEnd(24)} expected ${String(expected.calls).padStart(2)} calls ${number.format(expected.inputTokens).padStart(8)} in ${number.format(expected.outputTokens).padStart(7)} out ${cost(expected).padStart(8)}   worst ${String(worst.calls).padStart(3)} calls ${number.format(worst.inputTokens).padStart(9)} in ${cost(worst).padStart(8)}`;
}

export function printEstimate(context: CliContext, outcome: EstimateOutcome): void {
  const { output } = context;
  if (output.json) {
    output.printJson({ ok: true, ...outcome });
    return;
  }
  const { estimate } = outcome;
  output.print(
    `Estimate for: ${outcome.task}\nunits: ${estimate.units.expected} expected, ${estimate.units.worst} worst case${estimate.units.fromPlan ? " (from the cached plan)" : ""}; drafter tier ${outcome.profile.tier}, context ${outcome.profile.numCtx}`,
  );
  output.print(
    `complexity ${outcome.complexity.score} (${outcome.complexity.band}): ${outcome.complexity.features
      .map((feature) => `${feature.name} ${feature.points >= 0 ? "+" : ""}${feature.points}`)
      .join(", ")}`,
  );
  for (const role of ["planner", "drafter", "reviewer"] as const) {
    output.print(roleLine(role, outcome.roles[role].model, estimate.expected[role], estimate.worst[role]));
  }
  output.print(
    `total     expected ${formatUsd(estimate.totals.expectedUsd)}, worst case ${formatUsd(estimate.totals.worstUsd)}`,
  );
  for (const quota of estimate.quota) {
    output.print(
      `quota     ${quota.role} on ${quota.plan}: ${quota.expected} expected / ${quota.worst} worst of ~${quota.messagesPerWindow} messages per ${quota.windowHours} h`,
    );
  }
  for (const note of estimate.notes) output.note(output.paint.dim(`note: ${note}`));
  if (outcome.pricingFile)
    output.note(output.paint.dim(`prices: ${outcome.pricingFile} over the built-in table`));
}

export function registerEstimate(program: Command, context: CliContext): void {
  program
    .command("estimate")
    .description(
      "expected and worst-case planner/reviewer calls, tokens, dollars and subscription messages for a task",
    )
    .requiredOption("-t, --task <task>", "the task to estimate")
    .option("--repo <dir>", "repository root")
    .option("--planner-model <model>", "override the planner's model")
    .option("--drafter-model <model>", "override the drafter's model")
    .option("--reviewer-model <model>", "override the reviewer's model")
    .option("--json", "machine-readable output")
    .action(async (flags: ModelFlags & { task: string }) => {
      const repoRoot = repositoryFor(context, flags.repo);
      const config = configFor(context, repoRoot, flags);
      const outcome = await estimateTask({
        config,
        env: context.env,
        repoRoot,
        runtime: providerRuntime(context),
        task: flags.task,
      });
      printEstimate(context, outcome);
    });
}
