/**
 * Reading the `result` object printed by `claude -p --output-format json|stream-json`
 * (protocols.md §1c): failure from `is_error` (not `subtype`: a missing login is
 * `subtype:"success"` with `is_error:true`), usage summed over `modelUsage`, the CLI's own
 * cost estimate, and structured output with a fallback to the result text.
 */
import { ModelOutputError, ProviderError, type ProviderErrorKind } from "../errors.js";
import { claudeLoginHint } from "./cli-detect.js";
import { attachJson } from "./json-output.js";
import { elapsedSince } from "./provider-support.js";
import type { FinishReason, GenerateRequest, GenerateResult, Usage } from "./spec.js";

type JsonObject = Record<string, unknown>;

function numberOf(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** `modelUsage` covers every model the CLI used (background calls too); `usage` only the main loop. */
export function claudeUsage(line: JsonObject): { usage: Usage; modelId: string | undefined } {
  const modelUsage = line.modelUsage;
  if (modelUsage && typeof modelUsage === "object" && Object.keys(modelUsage).length > 0) {
    const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    let modelId: string | undefined;
    let largest = -1;
    for (const [model, entry] of Object.entries(modelUsage as Record<string, JsonObject>)) {
      usage.inputTokens += numberOf(entry.inputTokens);
      usage.outputTokens += numberOf(entry.outputTokens);
      usage.cacheReadTokens += numberOf(entry.cacheReadInputTokens);
      usage.cacheWriteTokens += numberOf(entry.cacheCreationInputTokens);
      // The model that did most of the work is the one the caller asked for.
      const weight = numberOf(entry.outputTokens) + numberOf(entry.inputTokens);
      if (weight > largest) {
        largest = weight;
        modelId = model;
      }
    }
    return { usage, modelId };
  }
  const raw = (line.usage ?? {}) as JsonObject;
  return {
    usage: {
      inputTokens: numberOf(raw.input_tokens),
      outputTokens: numberOf(raw.output_tokens),
      cacheReadTokens: numberOf(raw.cache_read_input_tokens),
      cacheWriteTokens: numberOf(raw.cache_creation_input_tokens),
    },
    modelId: undefined,
  };
}

function finishReasonOf(line: JsonObject): FinishReason {
  switch (line.stop_reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return line.terminal_reason === "completed" ? "stop" : "other";
  }
}

function kindFromStatus(status: number): ProviderErrorKind | undefined {
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "model_not_found";
  if (status === 429) return "rate_limit";
  if (status === 529) return "overloaded";
  if (status >= 500) return "server";
  if (status >= 400) return "bad_request";
  return undefined;
}

function kindFromText(text: string, terminalReason: unknown): ProviderErrorKind | undefined {
  if (
    /not logged in|please run \/login|invalid api key|authentication|oauth token|credit balance|billing/i.test(
      text,
    )
  )
    return "auth";
  if (/issue with the selected model|model.{0,40}not (?:found|exist)|not_found_error/i.test(text))
    return "model_not_found";
  if (/usage limit|rate.?limit|hit your limit/i.test(text)) return "rate_limit";
  if (/overloaded/i.test(text)) return "overloaded";
  if (terminalReason === "prompt_too_long" || /prompt is too long/i.test(text)) return "bad_request";
  return undefined;
}

const hints: Partial<Record<ProviderErrorKind, string>> = {
  auth: claudeLoginHint,
  model_not_found: "pick a model the claude CLI knows (opus, sonnet, haiku or a full claude-… id)",
  rate_limit:
    "the subscription's usage limit is reached; wait for it to reset or route the planner elsewhere",
  bad_request: "the prompt is too large for the model; reduce the context sent to the planner",
};

/** The error a result line with `is_error:true` stands for. */
export function claudeResultError(line: JsonObject, provider: string): Error {
  const subtype = String(line.subtype ?? "");
  const errors = Array.isArray(line.errors) ? line.errors.map(String) : [];
  const text = typeof line.result === "string" && line.result ? line.result : errors.join("; ") || subtype;
  const status = typeof line.api_error_status === "number" ? line.api_error_status : undefined;
  if (subtype === "error_max_structured_output_retries") {
    return new ModelOutputError(`${provider}: claude could not produce output matching the JSON schema`, {
      expected: "JSON matching the schema",
      received: text,
    });
  }
  let kind: ProviderErrorKind;
  let message = text;
  if (subtype === "error_max_turns") {
    kind = "truncated";
    message = `stopped after ${String(line.num_turns ?? "the maximum")} turns before answering`;
  } else if (subtype === "error_max_budget_usd") {
    kind = "bad_request";
    message = "stopped at the cost budget before answering";
  } else {
    kind =
      (status !== undefined ? kindFromStatus(status) : undefined) ??
      kindFromText(text, line.terminal_reason) ??
      "server";
  }
  const notLoggedIn = kind === "auth" && /not logged in/i.test(text);
  return new ProviderError(
    kind,
    `${provider}: ${notLoggedIn ? "claude is not logged in" : "claude reported an error"}: ${message}`,
    {
      provider,
      ...(status !== undefined ? { status } : {}),
      bodyExcerpt: text.slice(0, 500),
      // Unknown in-band failures are not retried: a retry of a CLI call spends quota again.
      ...(kind === "server" && status === undefined ? { retryable: false } : {}),
      ...(hints[kind] !== undefined ? { hint: hints[kind] } : {}),
      ...(subtype === "error_max_turns"
        ? { hint: "the planner explored too long; use exploration: passive or a narrower task" }
        : {}),
      details: { subtype, terminalReason: line.terminal_reason ?? null },
    },
  );
}

/** GenerateResult from a result line, or throws the error it reports. */
export function interpretClaudeResult(
  line: JsonObject,
  request: GenerateRequest,
  provider: string,
  start: number,
): GenerateResult {
  if (line.is_error === true) throw claudeResultError(line, provider);
  const warnings: string[] = [];
  if (request.temperature !== undefined)
    warnings.push("the claude CLI has no temperature setting; it was ignored");
  const structured = line.structured_output;
  let text = typeof line.result === "string" ? line.result : "";
  let json: unknown;
  if (request.jsonSchema !== undefined) {
    if (structured !== undefined && structured !== null) {
      json = structured;
      if (text.trim() === "") text = JSON.stringify(structured);
    } else {
      json = attachJson(text, warnings);
    }
  }
  const { usage, modelId } = claudeUsage(line);
  const cost = line.total_cost_usd;
  return {
    text,
    ...(json !== undefined ? { json } : {}),
    usage,
    finishReason: finishReasonOf(line),
    latencyMs: elapsedSince(start),
    modelId: modelId ?? request.model,
    subscriptionMessages: 1,
    ...(typeof cost === "number" ? { reportedCostUsd: cost } : {}),
    warnings,
  };
}
