/**
 * /usage: per role calls, tokens in/out, cache read/write, subscription messages and cost — for
 * this session and for the whole ledger — and a quota bar per subscription window with the time
 * its oldest message leaves it. Reads app/usage's usageReport (as `hierocode usage`).
 */
import { type UsageReport, usageReport } from "../app/usage.js";
import { formatUsd } from "../cli/commands/run.js";
import { groupedNumber } from "../cli/output.js";
import { type QuotaLine, quotaBar } from "../cli/progress.js";
import type { HierocodeConfig } from "../config/schema.js";
import type { Session } from "./session.js";

type Env = Record<string, string | undefined>;

/**
 * The subscription windows that matter here: plans of a provider type the config uses, or with
 * messages in the current window.
 */
export function quotaWindowsFor(env: Env, config: HierocodeConfig, report?: UsageReport): QuotaLine[] {
  const used = new Set(Object.values(config.providers).map((provider) => provider.type as string));
  const windows = (report ?? usageReport({ env, config })).windows;
  return windows
    .filter((window) => used.has(window.providerType) || window.used > 0)
    .map((window) => ({
      plan: window.plan,
      used: window.used,
      limit: window.messagesPerWindow,
      windowHours: window.windowHours,
      ...(window.frees !== undefined ? { frees: window.frees } : {}),
    }));
}

const number = groupedNumber;

function table(session: Session, title: string, report: UsageReport): void {
  const { output } = session;
  output.print(output.paint.bold(title));
  if (report.groups.length === 0) {
    output.print("  no model calls");
    return;
  }
  output.print(
    output.paint.dim(
      `  ${"role".padEnd(9)} ${"model".padEnd(30)} ${"calls".padStart(5)} ${"in".padStart(9)} ${"out".padStart(8)} ${"cache r/w".padStart(13)} ${"msgs".padStart(5)} ${"cost".padStart(8)}`,
    ),
  );
  for (const group of report.groups) {
    output.print(
      `  ${group.role.padEnd(9)} ${group.model.slice(0, 30).padEnd(30)} ${String(group.calls).padStart(5)} ${number.format(group.inputTokens).padStart(9)} ${number.format(group.outputTokens).padStart(8)} ${`${number.format(group.cacheReadTokens)}/${number.format(group.cacheWriteTokens)}`.padStart(13)} ${String(group.subscriptionMessages).padStart(5)} ${formatUsd(group.costUsd).padStart(8)}`,
    );
  }
}

export async function showUsage(session: Session): Promise<void> {
  const context = await session.context();
  const { config } = context.loadConfig();
  const now = Date.now();
  const all = usageReport({ env: session.env, config, now });
  const mine = usageReport({ env: session.env, config, now, since: session.startedAt });
  table(session, "this session", mine);
  table(session, `all time (${all.runs} run(s))`, all);
  const windows = quotaWindowsFor(session.env, config, all);
  if (windows.length > 0) session.output.print(session.output.paint.bold("subscription windows"));
  for (const window of windows) session.output.print(`  ${quotaBar(window, session.output.paint, 20, now)}`);
}
