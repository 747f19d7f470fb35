/**
 * What one call costs. Anthropic reports cache reads and writes separately from `input_tokens`
 * (and our Usage keeps them apart), so each bucket is priced on its own — nothing is subtracted.
 */
import type { ProviderType, Usage } from "../providers/spec.js";
import { findModelPrice, type PriceTable } from "./price-table.js";

export interface CallCost {
  usd: number;
  /** False when the model has no known price (cost shown as unknown, not $0). */
  priced: boolean;
  /** Messages counted against a subscription window (CLI providers). */
  subscriptionMessages: number;
}

const localTypes = new Set<ProviderType>(["ollama", "lmstudio", "llama_cpp"]);
const subscriptionTypes = new Set<ProviderType>(["claude_code_cli", "codex_cli"]);

export function isSubscriptionType(type: ProviderType): boolean {
  return subscriptionTypes.has(type);
}

export function dollarsFor(
  usage: Usage,
  price: { input: number; output: number; cacheWrite: number; cacheRead: number },
): number {
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheWriteTokens * price.cacheWrite +
      usage.cacheReadTokens * price.cacheRead) /
    1_000_000
  );
}

export function costOfCall(
  table: PriceTable,
  call: {
    providerType: ProviderType;
    local?: boolean;
    model: string;
    usage: Usage;
    subscriptionMessages?: number;
  },
): CallCost {
  if (subscriptionTypes.has(call.providerType)) {
    return { usd: 0, priced: true, subscriptionMessages: call.subscriptionMessages ?? 1 };
  }
  if (localTypes.has(call.providerType) || call.local)
    return { usd: 0, priced: true, subscriptionMessages: 0 };
  const price = findModelPrice(table, call.model);
  if (!price) return { usd: 0, priced: false, subscriptionMessages: 0 };
  return { usd: dollarsFor(call.usage, price), priced: true, subscriptionMessages: 0 };
}
