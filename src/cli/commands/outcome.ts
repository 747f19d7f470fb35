/** `hierocode outcome log|list`: per-unit outcomes the router learns from, and the user's judgement. */
import type { Command } from "commander";
import { parseSince } from "../../app/usage.js";
import { ExitCode, HierocodeError, UsageError } from "../../errors.js";
import { openLearningDatabase, outcomeStore } from "../../routing/outcome-store.js";
import type { CliContext } from "../context.js";

function parseBoolean(value: string): boolean {
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw new UsageError(`--success: '${value}' is not true or false`);
}

function parseFeedback(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || number > 1 || value.trim() === "")
    throw new UsageError(`--feedback: '${value}' is not a number from 0 to 1`);
  return number;
}

export function registerOutcome(program: Command, context: CliContext): void {
  const outcome = program
    .command("outcome")
    .description("per-unit outcomes the router learns from (logged automatically at the end of each run)");
  outcome
    .command("log")
    .description("record your own judgement of a unit (it outweighs the automatic one)")
    .requiredOption("--run <id>", "run id (as `hierocode run` printed it)")
    .requiredOption("--unit <id>", "unit id, e.g. u1")
    .requiredOption("--success <bool>", "true or false")
    .option("--feedback <0-1>", "how good the result was, 0 to 1")
    .option("--note <text>", "a note kept with the outcome")
    .option("--json", "machine-readable output")
    .action((flags: { run: string; unit: string; success: string; feedback?: string; note?: string }) => {
      const success = parseBoolean(flags.success);
      const feedback = flags.feedback !== undefined ? parseFeedback(flags.feedback) : undefined;
      const store = outcomeStore(openLearningDatabase(context.env));
      const found = store.judge(flags.run, flags.unit, {
        success,
        ...(feedback !== undefined ? { feedback } : {}),
        ...(flags.note ? { note: flags.note } : {}),
      });
      if (!found)
        throw new HierocodeError(
          "not_found",
          `no outcome of unit '${flags.unit}' in run '${flags.run}'`,
          ExitCode.usage,
          {
            hint: "`hierocode outcome list` shows the logged runs and units",
          },
        );
      if (context.output.json)
        context.output.printJson({
          ok: true,
          run: flags.run,
          unit: flags.unit,
          success,
          ...(feedback !== undefined ? { feedback } : {}),
        });
      else
        context.output.print(
          `recorded: run ${flags.run} unit ${flags.unit} ${success ? "succeeded" : "failed"}`,
        );
    });
  outcome
    .command("list")
    .description("logged unit outcomes, oldest first")
    .option("--since <when>", "only outcomes since a duration ago (24h, 7d) or a date")
    .option("--run <id>", "only this run")
    .option("--json", "machine-readable output")
    .action((flags: { since?: string; run?: string }) => {
      const { output } = context;
      const now = Date.now();
      const rows = outcomeStore(openLearningDatabase(context.env)).list({
        ...(flags.since ? { since: parseSince(flags.since, now) } : {}),
        ...(flags.run ? { runId: flags.run } : {}),
      });
      if (output.json) {
        output.printJson({ ok: true, outcomes: rows });
        return;
      }
      if (rows.length === 0) {
        output.print("no outcomes logged yet");
        return;
      }
      for (const row of rows) {
        const judged =
          row.userSuccess === undefined
            ? ""
            : ` user: ${row.userSuccess ? "success" : "failure"}${row.feedback !== undefined ? ` (${row.feedback})` : ""}`;
        output.print(
          `${new Date(row.at).toISOString().slice(0, 16)} ${row.runId} ${row.unitId.padEnd(5)} ${(row.autoSuccess ? "success" : "failure").padEnd(8)} ${`${row.provider}/${row.model}`.padEnd(32)} c${row.complexity} ${row.band}/${row.kind} rev ${row.revisions}${row.escalated ? " escalated" : ""}${judged}`,
        );
      }
    });
}
