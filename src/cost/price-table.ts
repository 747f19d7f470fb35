/**
 * Built-in list prices (USD per million tokens) and subscription windows, each row with where it
 * came from and when. `pricing.yaml` overrides or extends any row (see pricing-file.ts).
 * Source: /work/shared/reference/protocols.md §5, which quotes the vendors' pricing pages.
 */

export interface ModelPrice {
  model: string;
  aliases: string[];
  input: number;
  output: number;
  /** 5-minute cache write (what Anthropic's default `ephemeral` cache costs). */
  cacheWrite: number;
  cacheWrite1h?: number;
  cacheRead: number;
  source: string;
  /** When the price was read (YYYY-MM or YYYY-MM-DD). */
  asOf: string;
  note?: string;
}

export interface SubscriptionPlan {
  id: string;
  name: string;
  /** The CLI provider type whose calls count against this plan. */
  providerType: "claude_code_cli" | "codex_cli";
  messagesPerWindow: number;
  windowHours: number;
  source: string;
  asOf: string;
}

export interface PriceTable {
  models: ModelPrice[];
  subscriptions: SubscriptionPlan[];
}

const anthropicSource =
  "platform.claude.com/docs/en/about-claude/pricing (undated page, read 2026-09 or later)";
const anthropicAsOf = "2026-09";

function anthropic(
  model: string,
  aliases: string[],
  prices: [number, number, number, number, number],
  extra: Partial<ModelPrice> = {},
): ModelPrice {
  const [input, output, cacheWrite, cacheWrite1h, cacheRead] = prices;
  return {
    model,
    aliases,
    input,
    output,
    cacheWrite,
    cacheWrite1h,
    cacheRead,
    source: anthropicSource,
    asOf: anthropicAsOf,
    ...extra,
  };
}

function openai(
  model: string,
  prices: [number, number | undefined, number],
  source: string,
  asOf: string,
): ModelPrice {
  const [input, cached, output] = prices;
  // OpenAI bills no separate cache write; cached input is the read price (input price when unlisted).
  return { model, aliases: [], input, output, cacheWrite: input, cacheRead: cached ?? input, source, asOf };
}

export const builtinPriceTable: PriceTable = {
  models: [
    anthropic("claude-opus-4-8", [], [5, 25, 6.25, 10, 0.5]),
    anthropic("claude-opus-4-7", [], [5, 25, 6.25, 10, 0.5]),
    anthropic("claude-opus-4-6", [], [5, 25, 6.25, 10, 0.5]),
    anthropic("claude-opus-4-5-20251101", ["claude-opus-4-5"], [5, 25, 6.25, 10, 0.5]),
    anthropic("claude-opus-4-1-20250805", ["claude-opus-4-1"], [15, 75, 18.75, 30, 1.5]),
    anthropic("claude-opus-4-20250514", ["claude-opus-4-0", "claude-opus-4"], [15, 75, 18.75, 30, 1.5]),
    anthropic("claude-sonnet-4-6", [], [3, 15, 3.75, 6, 0.3]),
    anthropic("claude-sonnet-4-5-20250929", ["claude-sonnet-4-5"], [3, 15, 3.75, 6, 0.3]),
    anthropic("claude-sonnet-4-20250514", ["claude-sonnet-4-0", "claude-sonnet-4"], [3, 15, 3.75, 6, 0.3]),
    anthropic("claude-haiku-4-5-20251001", ["claude-haiku-4-5"], [1, 5, 1.25, 2, 0.1]),
    anthropic("claude-opus-5", [], [5, 25, 6.25, 10, 0.5]),
    anthropic("claude-sonnet-5", [], [2, 10, 2.5, 4, 0.2], {
      note: "Claude Code's own table prices it at 3/15, so its reported cost over-states Sonnet 5",
    }),
    anthropic("claude-fable-5", [], [10, 50, 12.5, 20, 1]),
    anthropic("claude-opus-5-5", [], [4, 20, 5, 8, 0.2], {
      source: "third party: kurofune/claudit v1.8.2",
      asOf: "2026-09-24",
    }),
    anthropic("claude-sonnet-5-5", [], [2, 10, 2.5, 4, 0.1], { source: "third party", asOf: "2026-10-07" }),
    anthropic("claude-haiku-5-5", [], [0.1, 0.5, 0.125, 0.2, 0.01], {
      source: "third party",
      asOf: "2026-10",
      note: "prompts over 100k tokens cost 0.50 / 2.50",
    }),
    openai(
      "gpt-5",
      [1.25, 0.125, 10],
      "third-party pages quoting developers.openai.com/api/docs/pricing",
      "2025-08",
    ),
    openai(
      "gpt-5-mini",
      [0.25, 0.025, 2],
      "third-party pages quoting developers.openai.com/api/docs/pricing",
      "2025-08",
    ),
    openai("gpt-5-nano", [0.05, 0.005, 0.4], "explore.oreate.ai", "2025-08"),
    openai("gpt-5.1", [1.25, undefined, 10], "deploybase", "2026-03"),
    openai("gpt-5.4", [2.5, 0.25, 15], "tokenmix.ai", "2026-06-04"),
    openai("gpt-5.4-mini", [0.75, 0.075, 4.5], "tokenmix.ai", "2026-06-04"),
    openai("gpt-5.4-nano", [0.2, 0.02, 1.25], "tokenmix.ai", "2026-06-04"),
    openai("gpt-5.5", [5, 0.5, 30], "tokenmix.ai", "2026-06-04"),
    openai("gpt-5.5-pro", [30, undefined, 180], "tokenmix.ai", "2026-06-04"),
    openai("gpt-5.6-sol", [5, 0.5, 30], "apimaster.ai", "2026-06-27"),
    openai("gpt-5.6-terra", [2.5, 0.25, 15], "apimaster.ai", "2026-06-27"),
    openai("gpt-5.6-luna", [1, 0.1, 6], "apimaster.ai", "2026-06-27"),
  ],
  subscriptions: [
    {
      id: "claude_pro",
      name: "Claude Pro",
      providerType: "claude_code_cli",
      // Anthropic's help centre describes Pro as roughly 45 messages per 5-hour session; long
      // prompts use the allowance faster, so treat this as an approximation.
      messagesPerWindow: 45,
      windowHours: 5,
      source: "support.claude.com usage-limit articles (approximate, varies with message length)",
      asOf: "2026-09",
    },
    {
      id: "chatgpt_plus",
      name: "ChatGPT Plus (Codex)",
      providerType: "codex_cli",
      // OpenAI quotes a range (about 30–150 local Codex messages per 5 hours); the low end keeps
      // quota warnings on the safe side.
      messagesPerWindow: 30,
      windowHours: 5,
      source: "help.openai.com Codex usage limits (range 30–150 per 5 h; low end used)",
      asOf: "2026-09",
    },
  ],
};

/** Finds the price of a model id: exact id, alias, the id without a date suffix, then the longest prefix. */
export function findModelPrice(table: PriceTable, model: string): ModelPrice | undefined {
  const id = model.trim().toLowerCase();
  const exact = table.models.find((row) => row.model === id || row.aliases.includes(id));
  if (exact) return exact;
  const undated = id.replace(/-\d{8}$/, "").replace(/\[.*\]$/, "");
  const byUndated = table.models.find((row) => row.model === undated || row.aliases.includes(undated));
  if (byUndated) return byUndated;
  let best: ModelPrice | undefined;
  for (const row of table.models) {
    for (const name of [row.model, ...row.aliases]) {
      if (id.startsWith(`${name}-`) && (!best || name.length > best.model.length)) best = row;
    }
  }
  return best;
}

export function findSubscription(table: PriceTable, providerType: string): SubscriptionPlan | undefined {
  return table.subscriptions.find((plan) => plan.providerType === providerType);
}
