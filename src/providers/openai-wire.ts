/**
 * OpenAI chat-completions wire shapes and their mapping onto the provider spec: usage
 * (prompt_tokens includes cached_tokens), finish reasons, and the error shapes servers use.
 */
import type { FinishReason, Usage } from "./spec.js";

export interface OpenAiUsage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
}

/** prompt_tokens includes cached (and, where reported, cache-write) tokens; our inputTokens excludes both. */
export function openAiUsage(usage: OpenAiUsage | null | undefined): Usage {
  const prompt = usage?.prompt_tokens ?? 0;
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage?.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    inputTokens: Math.max(0, prompt - cached - written),
    outputTokens: usage?.completion_tokens ?? 0,
    cacheReadTokens: cached,
    cacheWriteTokens: written,
  };
}

export function openAiFinishReason(reason: string | null | undefined): FinishReason {
  if (reason === "stop" || reason === null || reason === undefined) return "stop";
  if (reason === "length") return "length";
  if (reason === "content_filter") return "content_filter";
  if (reason === "tool_calls" || reason === "function_call") return "tool_calls";
  return "other";
}

/** The message of either error shape: `{"error":{message}}`, `{"error":"…"}` or vLLM's `{"object":"error",message}`. */
export function openAiErrorMessage(
  json: unknown,
  fallback: string,
): { message: string; code: string | undefined } {
  const record = (json ?? {}) as { error?: unknown; message?: unknown; code?: unknown };
  if (typeof record.error === "string") return { message: record.error, code: undefined };
  if (record.error && typeof record.error === "object") {
    const inner = record.error as { message?: unknown; code?: unknown; type?: unknown };
    return {
      message: String(inner.message ?? fallback),
      code: inner.code != null ? String(inner.code) : inner.type != null ? String(inner.type) : undefined,
    };
  }
  if (typeof record.message === "string")
    return { message: record.message, code: record.code != null ? String(record.code) : undefined };
  return { message: fallback, code: undefined };
}

export interface ChatCompletion {
  model?: string;
  choices?: Array<{
    /** `reasoning_content` (vLLM, llama.cpp, DeepSeek) or `reasoning` (OpenRouter, LM Studio, Ollama /v1). */
    message?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null };
    delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null };
    finish_reason?: string | null;
  }>;
  usage?: OpenAiUsage | null;
}
