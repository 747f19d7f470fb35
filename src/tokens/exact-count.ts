/**
 * Exact counts through a provider's free counting endpoint (Anthropic's count_tokens) when one
 * is passed, the local counter otherwise. The result says which one was used.
 */
import type { Provider } from "../providers/spec.js";
import type { TokenCounter } from "./counter.js";

export interface CountResult {
  tokens: number;
  /** "anthropic-count_tokens" or the local counter's name. */
  estimator: string;
  exact: boolean;
}

export async function countTokensExact(
  text: string,
  options: { model: string; counter: TokenCounter; provider?: Pick<Provider, "countTokens"> },
): Promise<CountResult> {
  const { provider, counter, model } = options;
  if (provider?.countTokens) {
    // The endpoint counts a whole request; a one-message request adds only the message framing.
    const tokens = await provider.countTokens({
      model,
      messages: [{ role: "user", content: text }],
      maxOutputTokens: 1,
    });
    return { tokens, estimator: "anthropic-count_tokens", exact: true };
  }
  return { tokens: counter.count(text), estimator: counter.name, exact: counter.exact };
}
