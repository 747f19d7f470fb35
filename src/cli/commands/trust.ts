import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { readYamlFile } from "../../config/load.js";
import { projectConfigName, userConfigPath } from "../../config/paths.js";
import {
  recordTrust,
  revokeTrust,
  sensitiveSettings,
  sha256Hex,
  trustStateOf,
  trustStorePath,
} from "../../config/trust.js";
import { ConfigError, UsageError } from "../../errors.js";
import { findRepoRoot } from "../../util/repo-root.js";
import type { CliContext } from "../context.js";

function valueAt(object: Record<string, unknown>, path: string): unknown {
  let node: unknown = object;
  for (const key of path.split(".")) {
    node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}

export function registerTrust(program: Command, context: CliContext): void {
  program
    .command("trust")
    .description(
      "allow this repository's .hierocode.yaml to run programs and send credentials (verify_command, binary, auth, base_url, pricing_file)",
    )
    .option("--repo <dir>", "repository whose .hierocode.yaml to trust (default: the one containing the cwd)")
    .option("--revoke", "forget the trust again")
    .option("--json", "machine-readable output")
    .action((options: { repo?: string; revoke?: boolean }) => {
      const { output, env } = context;
      const start = resolve(context.cwd, options.repo ?? context.globals.repo ?? ".");
      if (!statSync(start, { throwIfNoEntry: false })?.isDirectory())
        throw new UsageError(`--repo ${options.repo ?? context.globals.repo} is not a folder`, {
          hint: "pass the folder of a git repository (relative to the current folder)",
        });
      const repoRoot = findRepoRoot(start);
      if (!repoRoot)
        throw new UsageError(`${start} is not inside a git repository`, {
          hint: "run it in the repository, or pass --repo <dir>",
        });
      const file = join(repoRoot, projectConfigName);
      if (options.revoke) {
        const had = revokeTrust(file, env);
        if (output.json) output.printJson({ ok: true, file, revoked: had });
        else output.print(had ? `no longer trusted: ${file}` : `was not trusted: ${file}`);
        return;
      }
      if (!existsSync(file))
        throw new UsageError(`${repoRoot} has no ${projectConfigName} to trust`, {
          hint: "nothing to do: without a project file only your own config applies",
        });
      let sha256 = "";
      const errors: string[] = [];
      const project = readYamlFile(file, errors, (bytes) => {
        sha256 = sha256Hex(bytes);
      });
      if (!project)
        throw new ConfigError(`${file} cannot be trusted: ${errors[0] ?? "unreadable"}`, errors, {
          hint: "fix the file first, then run `hierocode trust` again",
        });
      const userFile = userConfigPath(
        context.globals.config ? { ...env, HIEROCODE_CONFIG: context.globals.config } : env,
      );
      const below = existsSync(userFile) ? (readYamlFile(userFile, []) ?? {}) : {};
      const sensitive = sensitiveSettings(project, below);
      const previous = trustStateOf(file, sha256, env);
      recordTrust(file, sha256, env);
      if (output.json) {
        output.printJson({
          ok: true,
          file,
          sha256,
          previous,
          allows: Object.fromEntries(sensitive.map((path) => [path, valueAt(project, path)])),
          store: trustStorePath(env),
        });
        return;
      }
      output.print(`trusted ${file} (sha256 ${sha256.slice(0, 12)}…)`);
      if (sensitive.length === 0) output.print("it sets nothing that runs programs or sends credentials");
      else {
        output.print("it may now:");
        for (const path of sensitive) output.print(`  ${path}: ${JSON.stringify(valueAt(project, path))}`);
      }
      output.print(
        output.paint.dim("any change to the file needs `hierocode trust` again; undo with `--revoke`"),
      );
    });
}
