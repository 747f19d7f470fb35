/** `hierocode usage`: calls, tokens and cost per role across sessions, and subscription windows. */
import type { Command } from "commander";
import { parseSince, usageReport } from "../../app/usage.js";
import type { CliContext } from "../context.js";
import { groupedNumber } from "../output.js";
import { formatUsd } from "./run.js";

const number = groupedNumber;

export function registerUsage(program: Command, context: CliContext): void {
  program
    .command("usage")
    .description(
      "model calls, tokens and cost per role (all sessions), and messages used in each subscription window",
    )
    .option("--since <when>", "only calls since a duration ago (24h, 7d) or a date")
    .option("--json", "machine-readable output")
    .action((flags: { since?: string }) => {
      const { output } = context;
      const now = Date.now();
      const config = context.loadConfig().config;
      const report = usageReport({
        env: context.env,
        config,
        now,
        ...(flags.since ? { since: parseSince(flags.since, now) } : {}),
      });
      if (output.json) {
        output.printJson({ ok: true, ...report });
        return;
      }
      if (report.groups.length === 0)
        output.print(flags.since ? `no model calls since ${flags.since}` : "no model calls recorded yet");
      for (const group of report.groups) {
        const input = group.inputTokens + group.cacheReadTokens + group.cacheWriteTokens;
        output.print(
          `${group.role.padEnd(9)} ${`${group.provider}/${group.model}`.padEnd(36)} ${String(group.calls).padStart(4)} calls ${number.format(input).padStart(10)} in ${number.format(group.outputTokens).padStart(8)} out ${formatUsd(group.costUsd).padStart(8)}${group.subscriptionMessages ? ` ${group.subscriptionMessages} msg` : ""}${group.errors ? output.paint.yellow(` ${group.errors} failed`) : ""}`,
        );
      }
      for (const window of report.windows) {
        if (window.used === 0) continue;
        const frees = window.frees
          ? `, oldest leaves the window at ${new Date(window.frees).toLocaleTimeString()}`
          : "";
        output.print(
          `${window.plan}: ${window.used} of ~${window.messagesPerWindow} messages in the last ${window.windowHours} h${frees}`,
        );
      }
      output.note(output.paint.dim(`${report.runs} run(s)${flags.since ? ` since ${flags.since}` : ""}`));
    });
}
