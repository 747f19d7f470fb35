/**
 * Ollama through its native REST API (`/api/chat`), not the OpenAI-compatible `/v1`, because
 * only the native API lets us set `num_ctx` per request. Ollama's default context (2k–32k
 * depending on VRAM) silently truncates long prompts, so every call sends a context size.
 */
import type { ProviderConfig } from "../config/schema.js";
import { ProviderError } from "../errors.js";
import { parseOllamaEmbed } from "./embed-wire.js";
import {
  type CallScope,
  type HttpCall,
  type HttpTransport,
  openCallScope,
  openStream,
  readNdjson,
  requestJson,
  statusErrorOptions,
  translateFailure,
  trimTrailingSlash,
} from "./http.js";
import { attachJson } from "./json-output.js";
import {
  callTimeoutMs,
  elapsedSince,
  estimatePromptTokens,
  isLocalUrl,
  joinedSystemText,
  parseOllamaHost,
  replyCharLimit,
} from "./provider-support.js";
import { mergeReasoning, splitReasoning } from "./reasoning.js";
import { type ProviderRuntime, singleBaseUrl, transportFor } from "./runtime.js";
import type {
  Capacity,
  EmbedRequest,
  EmbedResult,
  FinishReason,
  GenerateRequest,
  GenerateResult,
  HealthStatus,
  ModelInfo,
  Provider,
  StreamPart,
} from "./spec.js";

export const defaultOllamaUrl = "http://127.0.0.1:11434";
/** Limit for one embedding call (a cold model loads first). */
const embedTimeoutMs = 120_000;
const defaultTimeoutMs = 600_000;
const metadataTimeoutMs = 15_000;
const healthTimeoutMs = 5_000;

/**
 * Where this provider's Ollama is, and what was corrected on the way: config `base_url`, else
 * OLLAMA_HOST parsed as Ollama parses it, else the default. A trailing `/v1` (the
 * OpenAI-compatible path, a common copy-paste) or `/api` is dropped with a warning: the native
 * API lives at the root, and `/v1/api/chat` answers 404 (issue 9).
 */
export function resolveOllamaUrl(
  config: ProviderConfig,
  env: Record<string, string | undefined>,
): { url: string; source: "base_url" | "OLLAMA_HOST" | "default"; warnings: string[] } {
  const configured = singleBaseUrl(config);
  const fromEnv = env.OLLAMA_HOST?.trim();
  const source = configured ? "base_url" : fromEnv ? "OLLAMA_HOST" : "default";
  let url = configured
    ? trimTrailingSlash(configured)
    : fromEnv
      ? parseOllamaHost(fromEnv)
      : defaultOllamaUrl;
  const warnings: string[] = [];
  const suffix = /\/(v1|api)$/i.exec(url);
  if (suffix) {
    const fixed = url.slice(0, -suffix[0].length);
    warnings.push(
      `${source} ${url} ends in ${suffix[0]}: Ollama's native API is at the server root, so ${fixed} is used (drop ${suffix[0]}${source === "base_url" ? " from base_url" : ""}; for the OpenAI-compatible /v1 use type openai_compatible)`,
    );
    url = fixed;
  }
  return { url, source, warnings };
}

/** Base URL: config, else OLLAMA_HOST (parsed as Ollama does), else the default; /v1 and /api dropped. */
export function ollamaBaseUrl(config: ProviderConfig, env: Record<string, string | undefined>): string {
  return resolveOllamaUrl(config, env).url;
}

/**
 * The context window to allocate: the request's, else the prompt estimate plus the output
 * budget, rounded up to a multiple of 1024 and never below 2048.
 */
export function ollamaContextSize(request: GenerateRequest): number {
  if (request.numCtx !== undefined) return request.numCtx;
  const needed = estimatePromptTokens(request) + request.maxOutputTokens;
  return Math.max(2048, Math.ceil(needed / 1024) * 1024);
}

/** `llama3.2` and `llama3.2:latest` name the same model. */
export function normalizeOllamaModel(name: string): string {
  const lastSegment = name.slice(name.lastIndexOf("/") + 1);
  return lastSegment.includes(":") ? name : `${name}:latest`;
}

/**
 * KV-cache bytes per token at f16 from /api/show's `model_info` (GGUF metadata keys, llama.cpp
 * naming): layers × KV heads × (key length + value length) × 2 bytes. The head length defaults
 * to embedding_length / head_count. Undefined when a key is missing.
 */
export function kvBytesFromInfo(info: Record<string, unknown>, architecture: string): number | undefined {
  const read = (key: string): number | undefined => {
    const value = info[`${architecture}.${key}`];
    return typeof value === "number" && value > 0 ? value : undefined;
  };
  const layers = read("block_count");
  const heads = read("attention.head_count");
  const kvHeads = read("attention.head_count_kv") ?? heads;
  const embedding = read("embedding_length");
  const headLength = embedding !== undefined && heads !== undefined ? embedding / heads : undefined;
  const keyLength = read("attention.key_length") ?? headLength;
  const valueLength = read("attention.value_length") ?? headLength;
  if (!layers || !kvHeads || !keyLength || !valueLength) return undefined;
  return Math.round(layers * kvHeads * (keyLength + valueLength) * 2);
}

/** Approximate size of quantized weights: bytes per parameter by GGUF quantization type. */
function weightsBytes(parameters: number | undefined, quantization: string | undefined): number | undefined {
  if (!parameters) return undefined;
  const q = (quantization ?? "").toUpperCase();
  const perParameter = q.startsWith("Q2")
    ? 0.35
    : q.startsWith("Q3")
      ? 0.45
      : q.startsWith("Q4") || q.startsWith("IQ4")
        ? 0.6
        : q.startsWith("Q5")
          ? 0.7
          : q.startsWith("Q6")
            ? 0.82
            : q.startsWith("Q8")
              ? 1.07
              : q.startsWith("BF16") || q.startsWith("F16")
                ? 2
                : q.startsWith("F32")
                  ? 4
                  : 0.6;
  return Math.round(parameters * perParameter);
}

interface OllamaChunk {
  model?: string;
  message?: { role?: string; content?: string; thinking?: string };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

interface OllamaModelDetails {
  family?: string;
  parameter_size?: string;
  quantization_level?: string;
}

export class OllamaProvider implements Provider {
  readonly type = "ollama" as const;
  readonly local: boolean;
  readonly baseUrl: string;
  /** What was corrected in the configured URL (a dropped /v1 or /api suffix); shown by doctor and run. */
  readonly urlWarnings: string[];
  private readonly transport: HttpTransport;
  /** Models (normalized names) whose /api/show listed the "thinking" capability. */
  private readonly thinkingModels = new Set<string>();

  constructor(
    readonly name: string,
    private readonly config: ProviderConfig,
    runtime: ProviderRuntime,
  ) {
    const resolved = resolveOllamaUrl(config, runtime.env);
    this.baseUrl = resolved.url;
    this.urlWarnings = resolved.warnings;
    this.local = isLocalUrl(this.baseUrl);
    this.transport = transportFor(name, config, runtime);
  }

  private get unavailableHint(): string {
    return `is Ollama running at ${this.baseUrl}? Start it with \`ollama serve\`, or set OLLAMA_HOST / base_url to where it runs`;
  }

  private call(
    method: "GET" | "POST",
    path: string,
    scope: CallScope,
    body?: unknown,
    model?: string,
  ): HttpCall {
    return {
      method,
      url: `${this.baseUrl}${path}`,
      ...(body !== undefined ? { body } : {}),
      ...(this.config.headers ? { headers: this.config.headers } : {}),
      scope,
      unavailableHint: this.unavailableHint,
      toError: (response, errorBody) => this.errorFor(response, errorBody, model),
    };
  }

  private errorFor(
    response: Response,
    body: { text: string; json: unknown },
    model: string | undefined,
  ): ProviderError {
    const serverMessage =
      (body.json as { error?: unknown } | undefined)?.error !== undefined
        ? String((body.json as { error: unknown }).error)
        : body.text || response.statusText;
    const options = statusErrorOptions(this.name, response, body);
    const status = response.status;
    const ollamaModelMissing = /model ['"]([^'"]+)['"] not found/i.exec(serverMessage);
    if (status === 404 && !ollamaModelMissing) {
      // Ollama answers an unknown model with {"error":"model 'x' not found"}; any other 404 on
      // its API means something else is listening here (or the URL has an extra path).
      return new ProviderError(
        "unavailable",
        `${this.name}: ${this.baseUrl} is not an Ollama server (HTTP 404 on ${response.url ? new URL(response.url).pathname : "its API"}: ${serverMessage.slice(0, 80)})`,
        {
          ...options,
          retryable: false,
          hint: "did you mean type openai_compatible, or drop /v1 from base_url? `hierocode doctor` shows what answers there",
        },
      );
    }
    if (status === 404 && ollamaModelMissing) {
      const missing = ollamaModelMissing[1] ?? model ?? "the model";
      return new ProviderError(
        "model_not_found",
        `${this.name}: model '${missing}' is not pulled on ${this.baseUrl}`,
        {
          ...options,
          retryable: false,
          hint: `ollama pull ${missing}`,
        },
      );
    }
    const text = `${this.name}: HTTP ${status}: ${serverMessage}`;
    if (status === 401 || status === 403)
      return new ProviderError("auth", text, { ...options, retryable: false });
    if (status === 429) return new ProviderError("rate_limit", text, options);
    if (status === 503)
      return new ProviderError("overloaded", text, {
        ...options,
        hint: "the Ollama queue is full (OLLAMA_MAX_QUEUE); lower the number of local workers",
      });
    if (status >= 500) return new ProviderError("server", text, options);
    return new ProviderError("bad_request", text, options);
  }

  private chatBody(request: GenerateRequest, stream: boolean): Record<string, unknown> {
    const system = joinedSystemText(request);
    const keepAlive = request.keepAlive ?? this.config.keep_alive;
    return {
      model: request.model,
      messages: [
        ...(system ? [{ role: "system", content: system }] : []),
        ...request.messages.map((message) => ({ role: message.role, content: message.content })),
      ],
      stream,
      ...(request.jsonSchema ? { format: request.jsonSchema } : {}),
      // A model whose /api/show listed the "thinking" capability gets `think`, so its reasoning
      // comes back in `message.thinking` instead of inline (a model without it would answer 400).
      ...(this.thinkingModels.has(normalizeOllamaModel(request.model)) ? { think: true } : {}),
      options: {
        num_ctx: ollamaContextSize(request),
        num_predict: request.maxOutputTokens,
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      },
      ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}),
    };
  }

  private buildResult(
    request: GenerateRequest,
    content: string,
    final: OllamaChunk,
    start: number,
    thinking = "",
  ): GenerateResult {
    const warnings: string[] = [];
    // `message.thinking` when the server parsed the reasoning out; inline `<think>` when it did not.
    const { answer, reasoning: inline } = splitReasoning(content);
    let text = answer;
    const reasoning = mergeReasoning(thinking, inline);
    const numCtx = ollamaContextSize(request);
    const inputTokens = final.prompt_eval_count ?? 0;
    const outputTokens = final.eval_count ?? 0;
    let finishReason: FinishReason = "stop";
    const limit = replyCharLimit(request.maxOutputTokens);
    if (text.length > limit || outputTokens > request.maxOutputTokens) {
      // The server ignored num_predict: never accept more than was asked for.
      finishReason = "length";
      warnings.push(
        `output truncated: ${this.name} sent more than the ${request.maxOutputTokens} output tokens requested (num_predict); the reply was cut`,
      );
      text = text.slice(0, limit);
    } else if (final.done_reason === "length") {
      finishReason = "length";
      warnings.push(
        `output truncated: ${this.name} stopped at the token limit (num_predict ${request.maxOutputTokens}, num_ctx ${numCtx})`,
      );
    } else if (final.done_reason !== undefined && final.done_reason !== "stop") {
      finishReason = "other";
    }
    if (inputTokens > 0 && inputTokens + outputTokens >= numCtx) {
      warnings.push(
        `the prompt filled the whole context (num_ctx ${numCtx}); Ollama may have dropped its beginning`,
      );
    }
    const json = request.jsonSchema ? attachJson(text, warnings) : undefined;
    return {
      text,
      ...(reasoning ? { reasoning } : {}),
      ...(request.jsonSchema ? { json } : {}),
      usage: { inputTokens, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 },
      finishReason,
      latencyMs: elapsedSince(start),
      modelId: final.model ?? request.model,
      subscriptionMessages: 0,
      warnings,
    };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const start = performance.now();
    const scope = openCallScope({
      signal: request.signal,
      timeoutMs: callTimeoutMs(request, this.config, defaultTimeoutMs),
    });
    try {
      const { json } = await requestJson<OllamaChunk>(
        this.transport,
        this.call("POST", "/api/chat", scope, this.chatBody(request, false), request.model),
      );
      if (json.error !== undefined) {
        throw new ProviderError("server", `${this.name}: ${json.error}`, { provider: this.name });
      }
      return this.buildResult(request, json.message?.content ?? "", json, start, json.message?.thinking);
    } finally {
      scope.dispose();
    }
  }

  async *stream(request: GenerateRequest): AsyncGenerator<StreamPart> {
    const start = performance.now();
    const scope = openCallScope({
      signal: request.signal,
      timeoutMs: callTimeoutMs(request, this.config, defaultTimeoutMs),
    });
    const call = this.call("POST", "/api/chat", scope, this.chatBody(request, true), request.model);
    try {
      const response = await openStream(this.transport, call);
      let text = "";
      let thinking = "";
      let final: OllamaChunk | undefined;
      const chunks = readNdjson(response.body ?? new ReadableStream());
      while (!final) {
        let next: IteratorResult<unknown>;
        try {
          next = await chunks.next();
        } catch (error) {
          throw translateFailure(error, scope, {
            provider: this.name,
            action: `${call.method} ${call.url}`,
            responseStarted: true,
          });
        }
        if (next.done) break;
        const chunk = next.value as OllamaChunk;
        if (chunk.error !== undefined) {
          throw new ProviderError("stream", `${this.name}: error during the stream: ${chunk.error}`, {
            provider: this.name,
            retryable: false,
          });
        }
        thinking += chunk.message?.thinking ?? "";
        const delta = chunk.message?.content;
        if (delta) {
          text += delta;
          yield { type: "text-delta", text: delta };
        }
        if (chunk.done) final = chunk;
        else if (text.length > replyCharLimit(request.maxOutputTokens)) {
          // Past any reply to this budget: stop reading rather than buffer a runaway answer.
          await chunks.return(undefined);
          final = { done: true, done_reason: "length", eval_count: request.maxOutputTokens + 1 };
        }
      }
      if (!final) {
        throw new ProviderError(
          "stream",
          `${this.name}: the stream ended before the final chunk (connection cut?)`,
          {
            provider: this.name,
            retryable: false,
          },
        );
      }
      const result = this.buildResult(request, text, final, start, thinking);
      for (const warning of result.warnings) yield { type: "warning", message: warning };
      yield { type: "usage", usage: result.usage };
      yield { type: "finish", result };
    } finally {
      scope.dispose();
    }
  }

  /**
   * `POST /api/embed` with every text in one call (`truncate: true`, the server's default: a text
   * longer than the model's context is cut, not refused). Errors: the ProviderErrors of `errorFor`
   * (an unknown model is "model_not_found"), "server" for an answer of the wrong shape.
   */
  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const scope = openCallScope({ signal: request.signal, timeoutMs: embedTimeoutMs });
    try {
      const keepAlive = this.config.keep_alive;
      const { json } = await requestJson<unknown>(
        this.transport,
        this.call(
          "POST",
          "/api/embed",
          scope,
          {
            model: request.model,
            input: request.input,
            truncate: true,
            ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}),
          },
          request.model,
        ),
      );
      return parseOllamaEmbed(this.name, json, request.input.length);
    } finally {
      scope.dispose();
    }
  }

  async listModels(options: { signal?: AbortSignal } = {}): Promise<ModelInfo[]> {
    const scope = openCallScope({ signal: options.signal, timeoutMs: metadataTimeoutMs });
    try {
      const { json } = await requestJson<{
        models?: Array<{ name: string; size?: number; details?: OllamaModelDetails }>;
      }>(this.transport, this.call("GET", "/api/tags", scope));
      return (json.models ?? []).map((model) => ({
        id: model.name,
        ...(model.details?.parameter_size ? { parameterSize: model.details.parameter_size } : {}),
        ...(model.details?.quantization_level ? { quantization: model.details.quantization_level } : {}),
        ...(model.details?.family ? { family: model.details.family } : {}),
        ...(model.size !== undefined ? { sizeBytes: model.size } : {}),
      }));
    } finally {
      scope.dispose();
    }
  }

  async capacity(model: string, options: { signal?: AbortSignal } = {}): Promise<Capacity> {
    const scope = openCallScope({ signal: options.signal, timeoutMs: metadataTimeoutMs });
    try {
      const { json: show } = await requestJson<{
        model_info?: Record<string, unknown>;
        details?: OllamaModelDetails;
        capabilities?: unknown;
      }>(this.transport, this.call("POST", "/api/show", scope, { model }, model));
      if (Array.isArray(show.capabilities) && show.capabilities.includes("thinking"))
        this.thinkingModels.add(normalizeOllamaModel(model));
      const info = show.model_info ?? {};
      const architecture = info["general.architecture"];
      const contextLength =
        typeof architecture === "string" ? info[`${architecture}.context_length`] : undefined;
      const parameterCount = info["general.parameter_count"];
      const kvBytesPerToken =
        typeof architecture === "string" ? kvBytesFromInfo(info, architecture) : undefined;
      const sizeBytes = weightsBytes(
        typeof parameterCount === "number" ? parameterCount : undefined,
        show.details?.quantization_level,
      );
      const capacity: Capacity = {
        model,
        ...(typeof contextLength === "number" ? { contextLength } : {}),
        ...(kvBytesPerToken !== undefined ? { kvBytesPerToken } : {}),
        ...(sizeBytes !== undefined ? { sizeBytes } : {}),
        ...(typeof parameterCount === "number" ? { parameterCount } : {}),
        ...(show.details?.parameter_size ? { parameterSize: show.details.parameter_size } : {}),
        ...(show.details?.quantization_level ? { quantization: show.details.quantization_level } : {}),
        ...(show.details?.family ? { family: show.details.family } : {}),
      };
      const loaded = await this.loadedContextLength(model, scope);
      return loaded !== undefined ? { ...capacity, loadedContextLength: loaded } : capacity;
    } finally {
      scope.dispose();
    }
  }

  /** Allocated context of a running model from `/api/ps`; undefined when not loaded or unknown. */
  private async loadedContextLength(model: string, scope: CallScope): Promise<number | undefined> {
    try {
      const { json } = await requestJson<{
        models?: Array<{ name?: string; model?: string; context_length?: number }>;
      }>({ ...this.transport, maxRetries: 0 }, this.call("GET", "/api/ps", scope));
      const wanted = normalizeOllamaModel(model);
      const running = (json.models ?? []).find(
        (entry) => normalizeOllamaModel(entry.name ?? entry.model ?? "") === wanted,
      );
      return running?.context_length;
    } catch {
      // Older servers have no context_length in /api/ps; the trained length is still useful.
      return undefined;
    }
  }

  /** Something answered at the URL but not as Ollama: say what it looks like (OpenAI-style /v1/models?). */
  private async notOllama(scope: CallScope, why: string): Promise<HealthStatus> {
    let openAiLike = false;
    try {
      const { json } = await requestJson<{ object?: string; data?: unknown }>(
        { ...this.transport, maxRetries: 0 },
        this.call("GET", "/v1/models", scope),
      );
      openAiLike = Array.isArray(json?.data);
    } catch {
      openAiLike = false;
    }
    return {
      ok: false,
      reachable: true,
      kindMismatch: true,
      message: `${this.baseUrl} is not an Ollama server (${why}${openAiLike ? "; it answers /v1/models like an OpenAI-compatible server" : ""})`,
      hint: openAiLike
        ? "did you mean type openai_compatible (base_url ending in /v1)? Or point base_url / OLLAMA_HOST at Ollama's root (drop /v1)"
        : "point base_url / OLLAMA_HOST at the Ollama server's root (e.g. http://127.0.0.1:11434), or fix the provider's type",
    };
  }

  async health(options: { signal?: AbortSignal } = {}): Promise<HealthStatus> {
    const scope = openCallScope({ signal: options.signal, timeoutMs: healthTimeoutMs });
    try {
      const { json } = await requestJson<{ version?: string }>(
        { ...this.transport, maxRetries: 0 },
        this.call("GET", "/api/version", scope),
      );
      if (typeof json?.version !== "string") return await this.notOllama(scope, "no version in /api/version");
      return {
        ok: true,
        reachable: true,
        message: `Ollama ${json.version} at ${this.baseUrl}`,
        version: json.version,
      };
    } catch (error) {
      const providerError = error instanceof ProviderError ? error : undefined;
      if (providerError?.status === 404) return await this.notOllama(scope, "HTTP 404 on /api/version");
      const reachable = providerError !== undefined && providerError.status !== undefined;
      return {
        ok: false,
        reachable,
        message: providerError?.message ?? String(error),
        hint: providerError?.hint ?? this.unavailableHint,
      };
    } finally {
      scope.dispose();
    }
  }
}
