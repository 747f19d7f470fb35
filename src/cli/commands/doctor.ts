import type { Command } from "commander";
import { runDoctor } from "../../app/doctor.js";
import { loadConfig } from "../../config/load.js";
import { ExitCode } from "../../errors.js";
import { findRepoRoot } from "../../util/repo-root.js";
import type { CliContext } from "../context.js";
import { seconds } from "../parse.js";
import { locateRepository } from "../repository.js";
import { providerRuntime } from "../runtime.js";

export function registerDoctor(program: Command, context: CliContext): void {
  program
    .command("doctor")
    .description(
      "check the config and, for every role, that its provider is reachable, logged in and has the model",
    )
    .option("--json", "machine-readable report")
    .option("--repo <dir>", "repository whose .hierocode.yaml applies (default: the one containing the cwd)")
    .option("--timeout <seconds>", "per-check timeout", seconds, 10)
    .action(async (options: { repo?: string; timeout: number }) => {
      const env = context.globals.config
        ? { ...context.env, HIEROCODE_CONFIG: context.globals.config }
        : context.env;
      // --repo is checked like every command's (relative to the current folder, a folder inside
      // git); without it, the repository of the current folder when there is one.
      const repoRoot =
        options.repo !== undefined
          ? locateRepository(context, options.repo)
          : (findRepoRoot(context.cwd) ?? undefined);
      // doctor reports config errors itself instead of stopping at the first one.
      const loaded = loadConfig({ env, ...(repoRoot ? { repoRoot } : {}) });
      const report = await runDoctor({
        loaded,
        runtime: providerRuntime(context),
        timeoutMs: options.timeout * 1000,
      });
      const { output } = context;
      if (output.json) {
        // Like every command: a failing report carries {code, message, hint} in `error`.
        const failed = report.checks.filter((check) => check.status === "fail");
        output.printJson(
          report.ok
            ? report
            : {
                ...report,
                error: {
                  code: "checks_failed",
                  message: `${failed.length} problem${failed.length === 1 ? "" : "s"}: some roles cannot work (${failed.map((check) => `${check.subject}: ${check.message}`)[0] ?? "see checks"})`,
                  hint: failed.find((check) => check.hint)?.hint ?? "see checks[] for what to do",
                },
              },
        );
      } else {
        for (const check of report.checks) {
          const mark =
            check.status === "ok"
              ? output.paint.green("ok  ")
              : check.status === "warn"
                ? output.paint.yellow("warn")
                : output.paint.red("FAIL");
          output.print(`${mark} ${check.subject}: ${check.message}`);
          if (check.hint && check.status !== "ok")
            output.print(`     ${output.paint.dim("→")} ${check.hint}`);
        }
        const failures = report.checks.filter((check) => check.status === "fail").length;
        output.print(
          report.ok
            ? output.paint.green("all roles can work")
            : output.paint.red(`${failures} problem${failures === 1 ? "" : "s"}: some roles cannot work`),
        );
      }
      if (!report.ok) process.exitCode = ExitCode.checksFailed;
    });
}
