/** `hierocode eval run|report|schedule`: evaluate the user's drafter models on edit tasks. */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { adaptiveJudge, listAdaptiveTasks, type TaskJudge, toEvalTask } from "../../eval/adaptive.js";
import { builtinTasks } from "../../eval/builtin.js";
import { evalDir, listReports, modelTable, saveReport, trend } from "../../eval/report.js";
import { parseCandidates, runEvaluationWithSkips } from "../../eval/run.js";
import { cronLine, installCron, installSystemd, systemdUnits } from "../../eval/schedule.js";
import { type EvalTask, loadSuiteFile } from "../../eval/suite.js";
import { type CassetteFlags, cassetteOptions } from "../cassette.js";
import type { CliContext } from "../context.js";
import { providerRuntime } from "../runtime.js";
import { withInterrupt } from "./run.js";

function positiveInt(value: string, flag: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new UsageError(`${flag}: '${value}' is not a positive integer`);
  return parsed;
}

type EvalRunFlags = CassetteFlags & { models?: string; suite: string; tasks?: string; timeout: string };

export function registerEval(program: Command, context: CliContext): void {
  const evalCommand = program
    .command("eval")
    .description("evaluate your drafter models on small edit tasks (pass@1, well-formed rate, latency)");

  cassetteOptions(evalCommand.command("run"))
    .description("draft every task with each model through the real drafting path and run the hidden tests")
    .option("--models <list>", "[provider/]model,… (default: the configured drafter)")
    .option(
      "--suite <suite>",
      "builtin, adaptive (your own accepted units, replayed), or a JSONL file of tasks",
      "builtin",
    )
    .option("--tasks <n>", "only the first N tasks (adaptive: the newest N, default 30)")
    .option("--timeout <seconds>", "limit for each task's hidden test", "60")
    .option("--json", "machine-readable output")
    .action(async (flags: EvalRunFlags) => {
      const { output } = context;
      const config = context.loadConfig().config;
      const candidates = parseCandidates(flags.models, config);
      const adaptive = flags.suite === "adaptive";
      let tasks: EvalTask[];
      let judge: TaskJudge | undefined;
      if (adaptive) {
        const stored = listAdaptiveTasks(context.env, {
          limit: flags.tasks !== undefined ? positiveInt(flags.tasks, "--tasks") : 30,
        });
        if (stored.length === 0) {
          throw new UsageError("no adaptive tasks yet", {
            hint: "they are kept from `hierocode run --verify …` units that were accepted and verified (memory.adaptive)",
          });
        }
        tasks = stored.map(toEvalTask);
        judge = adaptiveJudge(context.env, stored);
      } else {
        tasks = flags.suite === "builtin" ? builtinTasks : loadSuiteFile(resolve(context.cwd, flags.suite));
        if (flags.tasks !== undefined) tasks = tasks.slice(0, positiveInt(flags.tasks, "--tasks"));
      }
      const timeout = positiveInt(flags.timeout, "--timeout");
      const { models, skipped } = await withInterrupt((signal) =>
        runEvaluationWithSkips({
          config,
          env: context.env,
          candidates,
          tasks,
          ...(judge ? { judge } : {}),
          testTimeoutSeconds: timeout,
          runtime: providerRuntime(context, flags),
          signal,
          onTask: (candidate, result, index, total) => {
            if (output.json) return;
            const mark = result.passed ? output.paint.green("pass") : output.paint.red("fail");
            output.note(
              `${candidate.provider}/${candidate.model} ${index}/${total} ${result.id}: ${mark}${result.reason ? ` — ${result.reason}` : ""}`,
            );
          },
        }),
      );
      const report = {
        version: 1 as const,
        at: new Date().toISOString(),
        suite: flags.suite === "builtin" || adaptive ? flags.suite : resolve(context.cwd, flags.suite),
        models,
      };
      const files = saveReport(context.env, report);
      if (output.json) {
        output.printJson({ ok: true, at: report.at, suite: report.suite, report: files, models, skipped });
        return;
      }
      for (const item of skipped) output.note(output.paint.dim(`skipped ${item.id}: ${item.reason}`));
      output.print(modelTable(models));
      output.note(output.paint.dim(`report: ${files.markdown}`));
    });

  evalCommand
    .command("report")
    .description("the latest evaluation and each model's pass@1 across runs")
    .option("--json", "machine-readable output")
    .action(() => {
      const { output } = context;
      const reports = listReports(context.env);
      const latest = reports[reports.length - 1];
      const history = Object.fromEntries(trend(reports));
      if (output.json) {
        output.printJson({ ok: true, latest: latest ?? null, trend: history });
        return;
      }
      if (!latest) {
        output.print(`no evaluation yet (reports go to ${evalDir(context.env)}); run \`hierocode eval run\``);
        return;
      }
      output.print(`latest: ${latest.at} (suite ${latest.suite})`);
      output.print(modelTable(latest.models));
      output.print("");
      output.print("pass@1 by run (oldest first):");
      for (const [model, points] of Object.entries(history)) {
        output.print(
          `  ${model}: ${points.map((point) => `${(point.pass_at_1 * 100).toFixed(1)}%`).join(" → ")}`,
        );
      }
    });

  evalCommand
    .command("schedule")
    .description("print (or --install) a weekly cron line or systemd user timer running `eval run`")
    .requiredOption("--weekly", "once a week")
    .option("--cron", "a crontab line instead of a systemd user timer")
    .option("--install", "install it (systemctl --user enable --now, or crontab)")
    .action((flags: { cron?: boolean; install?: boolean }) => {
      const { output } = context;
      const entry = process.argv[1];
      if (!entry) throw new UsageError("cannot tell where the hierocode program is");
      const spec = {
        argv: [process.execPath, resolve(entry)],
        logFile: resolve(evalDir(context.env), "scheduled.log"),
      };
      if (flags.cron) {
        const line = flags.install ? installCron(context.env, spec) : cronLine(spec);
        if (output.json)
          output.printJson({ ok: true, kind: "cron", line, installed: Boolean(flags.install) });
        else {
          output.print(line);
          if (flags.install) output.note("installed in your crontab");
        }
        return;
      }
      const units = systemdUnits(spec);
      if (flags.install) {
        const files = installSystemd(context.env, spec);
        if (output.json) output.printJson({ ok: true, kind: "systemd", files, installed: true });
        else output.print(`installed and enabled: ${files.join(", ")}`);
        return;
      }
      if (output.json) output.printJson({ ok: true, kind: "systemd", ...units, installed: false });
      else {
        output.print("# ~/.config/systemd/user/hierocode-eval.service");
        output.print(units.service);
        output.print("# ~/.config/systemd/user/hierocode-eval.timer");
        output.print(units.timer);
        output.note(
          "install with --install (systemctl --user enable --now hierocode-eval.timer), or use --cron",
        );
      }
    });
}
