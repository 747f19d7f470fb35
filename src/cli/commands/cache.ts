/** `hierocode cache clear`: forget every cached plan. */
import type { Command } from "commander";
import { clearPlanCache } from "../../app/cache.js";
import type { CliContext } from "../context.js";

export function registerCache(program: Command, context: CliContext): void {
  const cache = program.command("cache").description("the plan cache");
  cache
    .command("clear")
    .description("delete every cached plan (the next run asks the planner again)")
    .option("--json", "machine-readable output")
    .action(() => {
      const { removed, database } = clearPlanCache(context.env);
      if (context.output.json) context.output.printJson({ ok: true, removed, database });
      else context.output.print(`removed ${removed} cached plan${removed === 1 ? "" : "s"}`);
    });
}
