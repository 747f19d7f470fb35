import type { Command } from "commander";
import type { CliContext } from "../context.js";

export function registerProviders(program: Command, context: CliContext): void {
  const providers = program.command("providers").description("configured providers");
  providers
    .command("list")
    .description("list configured providers and their types")
    .option("--json", "machine-readable output")
    .action(() => {
      const { config } = context.loadConfig();
      const rows = Object.entries(config.providers).map(([name, entry]) => ({
        name,
        type: entry.type,
        ...(entry.base_url ? { base_url: entry.base_url } : {}),
        auth: entry.auth.type === "bearer_env" ? `bearer from $${entry.auth.env_var}` : "none",
        default: name === config.default_provider,
      }));
      const { output } = context;
      if (output.json) return output.printJson({ providers: rows });
      if (rows.length === 0) return output.print("no providers configured: run `hierocode init --wizard`");
      for (const row of rows) {
        const url = Array.isArray(row.base_url) ? row.base_url.join(", ") : (row.base_url ?? "");
        output.print(
          `${row.name}${row.default ? " (default)" : ""}  ${row.type}  ${url}  auth: ${row.auth}`.replace(
            /\s+$/,
            "",
          ),
        );
      }
    });
}
