/**
 * The Anthropic Messages API over raw HTTP. The `anthropic-version` is pinned (2023-06-01 by
 * default) because 2026-10-21 rejects `temperature`; the system text and the repository map
 * go in system blocks so the stable prefix can be cached; usage follows protocols.md §3, where
 * `input_tokens` excludes cache reads and writes.
 */
import type { ProviderConfig } from "../config/schema.js";
import { ProviderError } from "../errors.js";
import {
  type AnthropicMessage,
  type AnthropicUsage,
  anthropicFinishReason,
  anthropicSystemBlocks,
  anthropicUsage,
  mergeCumulativeUsage,
} from "./anthropic-wire.js";
import {
  type CallScope,
  type HttpCall,
  type HttpTransport,
  openCallScope,
  openStream,
  readSse,
  requestJson,
  statusErrorOptions,
  translateFailure,
  trimTrailingSlash,
} from "./http.js";
import { attachJson } from "./json-output.js";
import { callTimeoutMs, elapsedSince } from "./provider-support.js";
import { mergeReasoning, splitReasoning } from "./reasoning.js";
import { type ProviderRuntime, singleBaseUrl, transportFor } from "./runtime.js";
import type {
  Capacity,
  GenerateRequest,
  GenerateResult,
  HealthStatus,
  ModelInfo,
  Provider,
  StreamPart,
  Usage,
} from "./spec.js";

export { anthropicSystemBlocks, anthropicUsage, minimumCacheableTokens } from "./anthropic-wire.js";

export const defaultAnthropicUrl = "https://api.anthropic.com";
export const defaultAnthropicVersion = "2023-06-01";
/** The first version that rejects temperature/top_p/top_k. */
const samplingRemovedVersion = "2026-10-21";
const defaultContextLength = 200_000;
const defaultTimeoutMs = 600_000;
const metadataTimeoutMs = 15_000;

export class AnthropicProvider implements Provider {
  readonly type = "anthropic" as const;
  readonly local = false;
  readonly baseUrl: string;
  readonly version: string;
  private readonly transport: HttpTransport;
  private readonly keyVariable: string;
  private readonly env: Record<string, string | undefined>;

  constructor(
    readonly name: string,
    private readonly config: ProviderConfig,
    runtime: ProviderRuntime,
  ) {
    const configured = singleBaseUrl(config) ?? runtime.env.ANTHROPIC_BASE_URL ?? defaultAnthropicUrl;
    this.baseUrl = trimTrailingSlash(configured).replace(/\/v1$/, "");
    this.version = config.anthropic_version ?? defaultAnthropicVersion;
    this.keyVariable = config.auth.env_var ?? "ANTHROPIC_API_KEY";
    this.env = runtime.env;
    this.transport = transportFor(name, config, runtime);
  }

  private apiKey(): string {
    const key = this.env[this.keyVariable]?.trim();
    if (!key) {
      throw new ProviderError("auth", `${this.name}: no API key (${this.keyVariable} is not set)`, {
        provider: this.name,
        hint: `export ${this.keyVariable}=sk-ant-…, or plan with the claude CLI subscription (type: claude_code_cli)`,
      });
    }
    return key;
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
      headers: { "x-api-key": this.apiKey(), "anthropic-version": this.version, ...this.config.headers },
      ...(body !== undefined ? { body } : {}),
      scope,
      unavailableHint: `cannot reach ${this.baseUrl}; check the network or base_url`,
      toError: (response, errorBody) => this.errorFor(response, errorBody, model),
    };
  }

  private errorFor(
    response: Response,
    body: { text: string; json: unknown },
    model: string | undefined,
  ): ProviderError {
    const parsed = body.json as
      | { error?: { type?: string; message?: string }; request_id?: string }
      | undefined;
    const errorType = parsed?.error?.type ?? "";
    const requestId = parsed?.request_id ?? response.headers.get("request-id") ?? undefined;
    const text = `${this.name}: HTTP ${response.status} ${errorType || response.statusText}: ${parsed?.error?.message ?? body.text}`;
    const options = {
      ...statusErrorOptions(this.name, response, body),
      ...(requestId ? { details: { requestId } } : {}),
    };
    const status = response.status;
    if (status === 401 || errorType === "authentication_error") {
      return new ProviderError("auth", text, {
        ...options,
        retryable: false,
        hint: `check the key in ${this.keyVariable}`,
      });
    }
    if (
      status === 403 ||
      errorType === "permission_error" ||
      status === 402 ||
      errorType === "billing_error"
    ) {
      return new ProviderError("auth", text, {
        ...options,
        retryable: false,
        hint: "check the account's permissions and billing in the Anthropic console",
      });
    }
    if (status === 404 || errorType === "not_found_error") {
      return new ProviderError("model_not_found", text, {
        ...options,
        retryable: false,
        hint: `check the model id${model ? ` '${model}'` : ""}; \`hierocode models list\` shows what the key can use`,
      });
    }
    if (status === 429 || errorType === "rate_limit_error")
      return new ProviderError("rate_limit", text, options);
    if (status === 529 || errorType === "overloaded_error")
      return new ProviderError("overloaded", text, options);
    if (status === 408 || status === 504 || errorType === "timeout_error")
      return new ProviderError("timeout", text, options);
    if (status >= 500 || status === 409) return new ProviderError("server", text, options);
    return new ProviderError("bad_request", text, options);
  }

  private messagesBody(
    request: GenerateRequest,
    stream: boolean,
    warnings: string[],
  ): Record<string, unknown> {
    const system = anthropicSystemBlocks(request);
    let temperature = request.temperature;
    if (temperature !== undefined && this.version >= samplingRemovedVersion) {
      warnings.push(`temperature is not accepted by anthropic-version ${this.version}; it was not sent`);
      temperature = undefined;
    }
    return {
      model: request.model,
      max_tokens: request.maxOutputTokens,
      ...(system ? { system } : {}),
      messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
      ...(temperature !== undefined ? { temperature } : {}),
      ...(request.jsonSchema
        ? { output_config: { format: { type: "json_schema", schema: request.jsonSchema } } }
        : {}),
      ...(stream ? { stream: true } : {}),
    };
  }

  private buildResult(
    request: GenerateRequest,
    content: string,
    message: { model: string | undefined; stopReason: string | null | undefined; usage: Usage },
    warnings: string[],
    start: number,
    thinking = "",
  ): GenerateResult {
    const { answer: text, reasoning: inline } = splitReasoning(content);
    const reasoning = mergeReasoning(thinking, inline);
    const finishReason = anthropicFinishReason(message.stopReason);
    if (finishReason === "length") {
      warnings.push(
        `output truncated: ${this.name} stopped at max_tokens ${request.maxOutputTokens} (${message.stopReason})`,
      );
    }
    const json = request.jsonSchema ? attachJson(text, warnings) : undefined;
    return {
      text,
      ...(reasoning ? { reasoning } : {}),
      ...(request.jsonSchema ? { json } : {}),
      usage: message.usage,
      finishReason,
      latencyMs: elapsedSince(start),
      modelId: message.model ?? request.model,
      subscriptionMessages: 0,
      warnings,
    };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const start = performance.now();
    const warnings: string[] = [];
    const scope = openCallScope({
      signal: request.signal,
      timeoutMs: callTimeoutMs(request, this.config, defaultTimeoutMs),
    });
    try {
      const body = this.messagesBody(request, false, warnings);
      const { json } = await requestJson<AnthropicMessage>(
        this.transport,
        this.call("POST", "/v1/messages", scope, body, request.model),
      );
      const text = (json.content ?? [])
        .filter((block) => block.type === "text")
        .map((block) => block.text ?? "")
        .join("");
      const thinking = (json.content ?? [])
        .filter((block) => block.type === "thinking")
        .map((block) => block.thinking ?? "")
        .join("\n\n");
      const message = { model: json.model, stopReason: json.stop_reason, usage: anthropicUsage(json.usage) };
      return this.buildResult(request, text, message, warnings, start, thinking);
    } finally {
      scope.dispose();
    }
  }

  async *stream(request: GenerateRequest): AsyncGenerator<StreamPart> {
    const start = performance.now();
    const warnings: string[] = [];
    const scope = openCallScope({
      signal: request.signal,
      timeoutMs: callTimeoutMs(request, this.config, defaultTimeoutMs),
    });
    try {
      const call = this.call(
        "POST",
        "/v1/messages",
        scope,
        this.messagesBody(request, true, warnings),
        request.model,
      );
      const response = await openStream(this.transport, call);
      let text = "";
      let thinking = "";
      let model: string | undefined;
      let stopReason: string | null | undefined;
      let usage: Usage = anthropicUsage(undefined);
      let finished = false;
      const events = readSse(response.body ?? new ReadableStream());
      while (!finished) {
        let next: IteratorResult<{ event: string | undefined; data: string }>;
        try {
          next = await events.next();
        } catch (error) {
          throw translateFailure(error, scope, {
            provider: this.name,
            action: `${call.method} ${call.url}`,
            responseStarted: true,
          });
        }
        if (next.done) break;
        const event = next.value;
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(event.data) as Record<string, unknown>;
        } catch {
          throw new ProviderError(
            "stream",
            `${this.name}: unreadable stream event: ${event.data.slice(0, 200)}`,
            { provider: this.name },
          );
        }
        const kind = event.event ?? (data.type as string | undefined);
        if (kind === "message_start") {
          const message = data.message as AnthropicMessage | undefined;
          model = message?.model;
          usage = anthropicUsage(message?.usage);
        } else if (kind === "content_block_delta") {
          const delta = data.delta as { type?: string; text?: string; thinking?: string } | undefined;
          if (delta?.type === "thinking_delta") thinking += delta.thinking ?? "";
          if (delta?.type === "text_delta" && delta.text) {
            text += delta.text;
            yield { type: "text-delta", text: delta.text };
          }
        } else if (kind === "message_delta") {
          stopReason = (data.delta as { stop_reason?: string | null } | undefined)?.stop_reason ?? stopReason;
          usage = mergeCumulativeUsage(usage, data.usage as AnthropicUsage | undefined);
        } else if (kind === "message_stop") {
          finished = true;
        } else if (kind === "error") {
          const error = data.error as { type?: string; message?: string } | undefined;
          throw new ProviderError(
            error?.type === "overloaded_error" ? "overloaded" : "stream",
            `${this.name}: error during the stream: ${error?.type ?? "error"}: ${error?.message ?? event.data}`,
            { provider: this.name, retryable: false },
          );
        }
      }
      if (!finished) {
        throw new ProviderError(
          "stream",
          `${this.name}: the stream ended before message_stop (connection cut?)`,
          {
            provider: this.name,
          },
        );
      }
      const result = this.buildResult(request, text, { model, stopReason, usage }, warnings, start, thinking);
      for (const warning of result.warnings) yield { type: "warning", message: warning };
      yield { type: "usage", usage };
      yield { type: "finish", result };
    } finally {
      scope.dispose();
    }
  }

  /** Exact input tokens from the free count_tokens endpoint. */
  async countTokens(request: GenerateRequest): Promise<number> {
    const scope = openCallScope({ signal: request.signal, timeoutMs: metadataTimeoutMs });
    try {
      const system = anthropicSystemBlocks(request);
      const body = {
        model: request.model,
        messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
        ...(system ? { system } : {}),
      };
      const { json } = await requestJson<{ input_tokens?: number }>(
        this.transport,
        this.call("POST", "/v1/messages/count_tokens", scope, body, request.model),
      );
      return json.input_tokens ?? 0;
    } finally {
      scope.dispose();
    }
  }

  async listModels(options: { signal?: AbortSignal } = {}): Promise<ModelInfo[]> {
    const scope = openCallScope({ signal: options.signal, timeoutMs: metadataTimeoutMs });
    try {
      const models: ModelInfo[] = [];
      let after: string | undefined;
      for (let page = 0; page < 20; page += 1) {
        const query = `?limit=1000${after ? `&after_id=${encodeURIComponent(after)}` : ""}`;
        const { json } = await requestJson<{
          data?: Array<{ id: string; max_input_tokens?: number }>;
          has_more?: boolean;
          last_id?: string | null;
        }>(this.transport, this.call("GET", `/v1/models${query}`, scope));
        for (const model of json.data ?? []) {
          models.push({
            id: model.id,
            ...(model.max_input_tokens ? { contextLength: model.max_input_tokens } : {}),
          });
        }
        if (!json.has_more || !json.last_id) break;
        after = json.last_id;
      }
      return models;
    } finally {
      scope.dispose();
    }
  }

  async capacity(model: string, options: { signal?: AbortSignal } = {}): Promise<Capacity> {
    const scope = openCallScope({ signal: options.signal, timeoutMs: metadataTimeoutMs });
    try {
      const { json } = await requestJson<{ id?: string; max_input_tokens?: number }>(
        this.transport,
        this.call("GET", `/v1/models/${encodeURIComponent(model)}`, scope, undefined, model),
      );
      return { model, contextLength: json.max_input_tokens ?? defaultContextLength };
    } finally {
      scope.dispose();
    }
  }

  /** Lists one model: free, proves the key works, never a paid call. */
  async health(options: { signal?: AbortSignal } = {}): Promise<HealthStatus> {
    const scope = openCallScope({ signal: options.signal, timeoutMs: metadataTimeoutMs });
    try {
      await requestJson({ ...this.transport, maxRetries: 0 }, this.call("GET", "/v1/models?limit=1", scope));
      return {
        ok: true,
        reachable: true,
        authenticated: true,
        message: `Anthropic API at ${this.baseUrl} (version ${this.version})`,
      };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      const answered = error.status !== undefined;
      return {
        ok: false,
        reachable: answered,
        ...(error.kind === "auth" ? { authenticated: false } : {}),
        message: error.message,
        ...(error.hint ? { hint: error.hint } : {}),
      };
    } finally {
      scope.dispose();
    }
  }
}
