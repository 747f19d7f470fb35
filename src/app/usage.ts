/**
 * `hierocode usage`: the ledger across sessions, per role and model, plus each subscription's
 * current window (e.g. Claude Pro messages in the last 5 hours).
 */
import type { HierocodeConfig } from "../config/schema.js";
import { loadPriceTable } from "../cost/pricing-file.js";
import { UsageError } from "../errors.js";
import { openStateDatabase } from "../store/database.js";
import { type UsageGroup, usageLedger } from "../store/usage-ledger.js";

export interface QuotaWindow {
  plan: string;
  providerType: string;
  windowHours: number;
  messagesPerWindow: number;
  used: number;
  /** When the oldest message in the window leaves it (ms since epoch). */
  frees?: number;
}

export interface UsageReport {
  since?: number;
  groups: UsageGroup[];
  roles: Record<
    string,
    {
      calls: number;
      inputTokens: number;
      outputTokens: number;
      costUsd: number | undefined;
      subscriptionMessages: number;
    }
  >;
  windows: QuotaWindow[];
  runs: number;
}

/** Parses `--since`: "24h", "7d", "30m", or an ISO date. */
export function parseSince(value: string, now: number): number {
  const relative = /^(\d+(?:\.\d+)?)\s*([mhdw])$/i.exec(value.trim());
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
      (relative[2] ?? "h").toLowerCase() as "m" | "h" | "d" | "w"
    ];
    return now - Number(relative[1]) * unit;
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new UsageError(`--since: '${value}' is not a duration (24h, 7d) or a date`);
  return time;
}

export function usageReport(options: {
  env: Record<string, string | undefined>;
  config: HierocodeConfig;
  since?: number;
  now?: number;
}): UsageReport {
  const now = options.now ?? Date.now();
  const ledger = usageLedger(openStateDatabase(options.env));
  const groups = ledger.summary(options.since !== undefined ? { since: options.since } : {});
  const roles: UsageReport["roles"] = {};
  for (const group of groups) {
    const role = roles[group.role] ?? {
      calls: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      subscriptionMessages: 0,
    };
    roles[group.role] = role;
    role.calls += group.calls;
    role.inputTokens += group.inputTokens + group.cacheReadTokens + group.cacheWriteTokens;
    role.outputTokens += group.outputTokens;
    role.costUsd =
      role.costUsd === undefined || group.costUsd === undefined ? undefined : role.costUsd + group.costUsd;
    role.subscriptionMessages += group.subscriptionMessages;
  }
  const { table } = loadPriceTable({
    env: options.env,
    ...(options.config.pricing_file ? { pricingFile: options.config.pricing_file } : {}),
  });
  const windows: QuotaWindow[] = table.subscriptions.map((plan) => {
    const start = now - plan.windowHours * 3_600_000;
    const { messages, oldest } = ledger.messagesSince(plan.providerType, start);
    return {
      plan: plan.name,
      providerType: plan.providerType,
      windowHours: plan.windowHours,
      messagesPerWindow: plan.messagesPerWindow,
      used: messages,
      ...(oldest !== undefined ? { frees: oldest + plan.windowHours * 3_600_000 } : {}),
    };
  });
  return {
    ...(options.since !== undefined ? { since: options.since } : {}),
    groups,
    roles,
    windows,
    runs: ledger.runs(options.since !== undefined ? { since: options.since } : {}).length,
  };
}
