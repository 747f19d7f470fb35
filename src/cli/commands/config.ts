import type { Command } from "commander";
import { stringify } from "yaml";
import { loadConfig } from "../../config/load.js";
import { cacheDir, stateDir } from "../../config/paths.js";
import { configJsonSchema } from "../../config/schema.js";
import { ExitCode } from "../../errors.js";
import { findRepoRoot } from "../../util/repo-root.js";
import type { CliContext } from "../context.js";

export function registerConfig(program: Command, context: CliContext): void {
  const config = program.command("config").description("inspect the configuration");
  const load = () => {
    const env = context.globals.config
      ? { ...context.env, HIEROCODE_CONFIG: context.globals.config }
      : context.env;
    const repoRoot = findRepoRoot(context.cwd) ?? undefined;
    return loadConfig({ env, ...(repoRoot ? { repoRoot } : {}) });
  };
  config
    .command("show")
    .description("print the effective config (defaults < user file < project file < env)")
    .option("--json", "machine-readable output")
    .action(() => {
      const loaded = load();
      const { output } = context;
      if (output.json) {
        if (loaded.errors.length) process.exitCode = ExitCode.config;
        return output.printJson({
          ok: loaded.errors.length === 0,
          config: loaded.config,
          sources: loaded.sources,
          warnings: loaded.warnings,
          errors: loaded.errors,
          ...configFailure(loaded.errors),
        });
      }
      output.print(`# sources: ${loaded.sources.length ? loaded.sources.join(", ") : "(defaults only)"}`);
      output.print(stringify(loaded.config, { indent: 2, lineWidth: 0 }));
      for (const warning of loaded.warnings) output.warn(warning);
      for (const error of loaded.errors) output.note(`${output.paint.red("error:")} ${error}`);
      if (loaded.errors.length) process.exitCode = ExitCode.config;
    });
  config
    .command("validate")
    .description("check the config files and print every problem as path: message")
    .option("--json", "machine-readable output")
    .action(() => {
      const loaded = load();
      const { output } = context;
      if (output.json)
        output.printJson({
          ok: loaded.errors.length === 0,
          errors: loaded.errors,
          warnings: loaded.warnings,
          sources: loaded.sources,
          ...configFailure(loaded.errors),
        });
      else {
        for (const error of loaded.errors) output.print(`${output.paint.red("error:")} ${error}`);
        for (const warning of loaded.warnings) output.print(`${output.paint.yellow("warning:")} ${warning}`);
        if (loaded.errors.length === 0) output.print(`ok (${loaded.sources.join(", ") || "defaults only"})`);
      }
      if (loaded.errors.length) process.exitCode = ExitCode.config;
    });
  config
    .command("path")
    .description("print where hierocode reads and writes its files")
    .option("--json", "machine-readable output")
    .action(() => {
      const loaded = load();
      const paths = {
        user_config: loaded.userFile,
        sources: loaded.sources,
        state_dir: stateDir(context.env),
        cache_dir: cacheDir(context.env),
      };
      if (context.output.json) context.output.printJson(paths);
      else
        for (const [key, value] of Object.entries(paths))
          context.output.print(`${key}: ${Array.isArray(value) ? value.join(", ") : value}`);
    });
  config
    .command("schema")
    .description("print the JSON Schema of the config file (for editor completion)")
    .action(() =>
      // Plain: the schema itself (for editors); --json: one object with ok, like every command.
      context.output.json
        ? context.output.printJson({ ok: true, schema: configJsonSchema() })
        : context.output.print(JSON.stringify(configJsonSchema(), null, 2)),
    );
}

/** Like every command, a failing `--json` answer carries `error: {code, message, hint}`. */
function configFailure(errors: readonly string[]): {
  error?: { code: string; message: string; hint: string };
} {
  if (errors.length === 0) return {};
  return {
    error: {
      code: "config",
      message: `${errors.length} problem${errors.length === 1 ? "" : "s"} in the configuration: ${errors[0]}`,
      hint: "fix the file (errors[] lists every problem as path: message), or run `hierocode init --wizard --force` to write a fresh one",
    },
  };
}
