import type { Command } from "commander";
import { listAllModels, setRoleModel, showRoles } from "../../app/models.js";
import type { CliContext } from "../context.js";
import { providerRuntime } from "../runtime.js";

export function registerModels(program: Command, context: CliContext): void {
  const models = program.command("models").description("models per provider and per role");
  models
    .command("list")
    .description("ask each provider for its available models")
    .option("-p, --provider <name>", "only this provider")
    .option("--json", "machine-readable output")
    .action(async (options: { provider?: string }) => {
      const { config } = context.loadConfig();
      const result = await listAllModels(
        config,
        providerRuntime(context),
        options.provider ? { only: options.provider } : {},
      );
      const { output } = context;
      if (output.json) return output.printJson({ providers: result });
      for (const entry of result) {
        output.print(output.paint.bold(`${entry.provider} (${entry.type})`));
        if (entry.error) output.print(`  ${output.paint.red("unavailable:")} ${entry.error}`);
        else if (entry.models.length === 0) output.print("  no models");
        for (const model of entry.models) {
          const facts = [
            model.parameterSize,
            model.quantization,
            model.contextLength ? `ctx ${model.contextLength}` : undefined,
          ].filter(Boolean);
          output.print(`  ${model.id}${facts.length ? `  ${output.paint.dim(facts.join(", "))}` : ""}`);
        }
      }
    });
  models
    .command("show")
    .description("show the planner / drafter / reviewer bindings")
    .option("--json", "machine-readable output")
    .action(() => {
      const { config } = context.loadConfig();
      const roles = showRoles(config);
      const { output } = context;
      if (output.json) return output.printJson({ roles });
      for (const view of roles) {
        if (!view.provider) {
          output.print(`${view.role.padEnd(9)} ${output.paint.red("not set")}`);
          continue;
        }
        output.print(
          `${view.role.padEnd(9)} ${view.provider} (${view.type ?? "?"})  ${view.model}${view.inherited ? output.paint.dim("  (inherited from planner)") : ""}${view.exploration ? `  exploration: ${view.exploration}` : ""}`,
        );
      }
    });
  models
    .command("set <role> <model>")
    .description("bind a role (planner, drafter, reviewer) to a model, saved in the config file")
    .option("-p, --provider <name>", "provider for the role (default: the role's current provider)")
    .option("--json", "machine-readable output")
    .action((role: string, model: string, options: { provider?: string }) => {
      const loaded = context.loadConfig();
      const result = setRoleModel({
        file: loaded.userFile,
        config: loaded.config,
        role,
        model,
        ...(options.provider ? { provider: options.provider } : {}),
      });
      if (context.output.json) context.output.printJson({ ok: true, ...result, file: loaded.userFile });
      else
        context.output.print(
          `${result.role} → ${result.provider}/${result.model} (saved to ${loaded.userFile})`,
        );
    });
}
