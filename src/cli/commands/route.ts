/** `hierocode route explain|replay`: the drafter router's choice for a task, and offline policy estimates. */
import type { Command } from "commander";
import { explainRoute, replayPolicies } from "../../app/route.js";
import { parseSince } from "../../app/usage.js";
import { UsageError } from "../../errors.js";
import type { RouterMode } from "../../routing/router.js";
import type { CliContext } from "../context.js";
import { repositoryFor } from "../repository.js";
import { providerRuntime } from "../runtime.js";
import { withInterrupt } from "./run.js";

const modes: RouterMode[] = ["fixed", "matrix", "learned"];

function parseMode(value: string | undefined, flag: string): RouterMode | undefined {
  if (value === undefined) return undefined;
  if (!modes.includes(value as RouterMode))
    throw new UsageError(`${flag}: '${value}' is not one of ${modes.join(", ")}`);
  return value as RouterMode;
}

export function registerRoute(program: Command, context: CliContext): void {
  const routeCommand = program
    .command("route")
    .description(
      "the drafter router: why a task goes to which model (explain), and policy estimates (replay)",
    );
  routeCommand
    .command("explain")
    .description(
      "score a task's complexity (0–10, with its features) and show the drafter the router picks and why",
    )
    .requiredOption("-t, --task <task>", "the task to explain")
    .option("--mode <mode>", "fixed | matrix | learned (default: router.mode)")
    .option("--repo <dir>", "repository root")
    .option("--json", "machine-readable output")
    .action(async (flags: { task: string; mode?: string; repo?: string }) => {
      const { output } = context;
      const mode = parseMode(flags.mode, "--mode");
      const repoRoot = repositoryFor(context, flags.repo);
      const config = context.loadConfig({ repoRoot }).config;
      const result = await withInterrupt((signal) =>
        explainRoute({
          config,
          env: context.env,
          repoRoot,
          task: flags.task,
          ...(mode ? { mode } : {}),
          runtime: providerRuntime(context),
          signal,
        }),
      );
      if (output.json) {
        output.printJson({ ok: true, ...result });
        return;
      }
      output.print(`complexity ${result.complexity} (${result.band}, ${result.kind.replace("_", " ")})`);
      for (const feature of result.features) {
        const points = feature.points >= 0 ? `+${feature.points}` : String(feature.points);
        output.print(`  ${points.padStart(5)}  ${feature.name.padEnd(15)} ${feature.why}`);
      }
      output.print(`route (${result.mode}): ${result.provider}/${result.model}`);
      output.print(`  ${result.reason}`);
      output.print("candidates:");
      for (const row of result.candidates) {
        const state = row.eligible ? "" : output.paint.yellow(`  excluded: ${row.excluded}`);
        output.print(
          `  ${`${row.provider}/${row.model}`.padEnd(36)} ${row.class.padEnd(8)} p_success ${row.p_success.toFixed(2)} (${row.evidence} outcomes)  expected cost ${row.expected_cost.toFixed(4)}  chosen with p ${row.propensity.toFixed(2)}${state}`,
        );
      }
    });
  routeCommand
    .command("replay")
    .description(
      "estimate what each routing policy would have cost and achieved on the logged units (inverse propensity weighting)",
    )
    .option("--policy <policy>", "fixed | matrix | learned (default: all three)")
    .option("--since <when>", "only units since a duration ago (24h, 7d) or a date")
    .option("--json", "machine-readable output")
    .action((flags: { policy?: string; since?: string }) => {
      const { output } = context;
      const policy = parseMode(flags.policy, "--policy");
      const now = Date.now();
      const config = context.loadConfig().config;
      const results = replayPolicies({
        config,
        env: context.env,
        policies: policy ? [policy] : modes,
        now,
        ...(flags.since ? { since: parseSince(flags.since, now) } : {}),
      });
      if (output.json) {
        output.printJson({ ok: true, policies: results });
        return;
      }
      const logged = results[0]?.logged ?? 0;
      if (logged === 0) {
        output.print("no logged units with a routing decision and an outcome yet");
        return;
      }
      for (const row of results) {
        const value = (number: number | null, digits: number) =>
          number === null ? "—" : number.toFixed(digits);
        output.print(
          `${row.policy.padEnd(8)} success ${row.success_rate === null ? "—" : `${(row.success_rate * 100).toFixed(1)}%`}  cost/unit ${value(row.cost_per_unit, 4)}  cost/success ${value(row.cost_per_success, 4)}  from ${row.matched} of ${row.logged} units (effective ${row.effective_units.toFixed(1)})`,
        );
      }
    });
}
