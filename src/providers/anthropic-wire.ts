/**
 * The Anthropic Messages API's wire shapes and their mapping onto the provider spec: system
 * blocks with prompt caching, usage (input_tokens excludes cache tokens), stop reasons.
 */
import type { FinishReason, GenerateRequest, Usage } from "./spec.js";

/** Smallest prefix worth marking for caching (Sonnet's minimum; shorter prefixes are simply not cached). */
export const minimumCacheableTokens = 1024;

export interface AnthropicTextBlock {
  type: "text";
  text: string;
  cache_control?: { type: "ephemeral" };
}

/**
 * System blocks: the system text, then the cached context; the last one carries
 * `cache_control` when the whole prefix reaches the minimum cacheable size (4 chars/token).
 */
export function anthropicSystemBlocks(request: GenerateRequest): AnthropicTextBlock[] | undefined {
  const blocks: AnthropicTextBlock[] = [request.system, request.cachedContext]
    .filter((text): text is string => text !== undefined && text.length > 0)
    .map((text) => ({ type: "text", text }));
  const last = blocks.at(-1);
  if (!last) return undefined;
  const characters = blocks.reduce((sum, block) => sum + block.text.length, 0);
  if (characters / 4 >= minimumCacheableTokens) last.cache_control = { type: "ephemeral" };
  return blocks;
}

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface AnthropicMessage {
  model?: string;
  /** `text` blocks carry the answer; `thinking` blocks (extended thinking) carry `thinking`. */
  content?: Array<{ type: string; text?: string; thinking?: string }>;
  stop_reason?: string | null;
  usage?: AnthropicUsage | null;
}

/** input_tokens excludes cache tokens, so it maps straight onto our uncached input. */
export function anthropicUsage(usage: AnthropicUsage | null | undefined): Usage {
  return {
    inputTokens: usage?.input_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    cacheReadTokens: usage?.cache_read_input_tokens ?? 0,
    cacheWriteTokens: usage?.cache_creation_input_tokens ?? 0,
  };
}

export function anthropicFinishReason(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
    case null:
    case undefined:
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "refusal":
      return "content_filter";
    case "tool_use":
      return "tool_calls";
    default:
      return "other";
  }
}

/** message_delta usage is cumulative: a field present there replaces the message_start value. */
export function mergeCumulativeUsage(current: Usage, update: AnthropicUsage | undefined): Usage {
  if (!update) return current;
  return {
    inputTokens: update.input_tokens ?? current.inputTokens,
    outputTokens: update.output_tokens ?? current.outputTokens,
    cacheReadTokens: update.cache_read_input_tokens ?? current.cacheReadTokens,
    cacheWriteTokens: update.cache_creation_input_tokens ?? current.cacheWriteTokens,
  };
}
