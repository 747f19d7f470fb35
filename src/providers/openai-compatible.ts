/**
 * Any server speaking OpenAI's chat completions (vLLM, LM Studio, llama.cpp's server, Groq,
 * Cerebras, OpenRouter, LiteLLM, OpenAI itself). Structured output asks for `json_schema`
 * first; servers that reject it get one retry with `json_object` and the schema in the prompt.
 * Usage per protocols.md §4: `prompt_tokens` includes `cached_tokens`.
 */
import type { ProviderConfig } from "../config/schema.js";
import { ProviderError } from "../errors.js";
import { parseOpenAiEmbed } from "./embed-wire.js";
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
import { type ChatCompletion, openAiErrorMessage, openAiFinishReason, openAiUsage } from "./openai-wire.js";
import { callTimeoutMs, elapsedSince, isLocalUrl, joinedSystemText } from "./provider-support.js";
import { mergeReasoning, splitReasoning } from "./reasoning.js";
import { type ProviderRuntime, singleBaseUrl, transportFor } from "./runtime.js";
import type {
  Capacity,
  EmbedRequest,
  EmbedResult,
  GenerateRequest,
  GenerateResult,
  HealthStatus,
  ModelInfo,
  Provider,
  StreamPart,
  Usage,
} from "./spec.js";

export { openAiUsage } from "./openai-wire.js";

export const defaultOpenAiUrl = "https://api.openai.com/v1";
const defaultTimeoutMs = 600_000;
const metadataTimeoutMs = 15_000;

/** What a server accepts, learned from its 400s: structured-output form and output-limit field. */
interface BodyMode {
  structured: "json_schema" | "json_object";
  /** OpenAI's reasoning models reject max_tokens and want max_completion_tokens. */
  tokensField: "max_tokens" | "max_completion_tokens";
}

const initialMode: BodyMode = { structured: "json_schema", tokensField: "max_tokens" };

export interface OpenAiCompatibleDefaults {
  type: "openai_compatible" | "lmstudio";
  baseUrl: string;
  local?: boolean;
  unavailableHint?: string;
}

export class OpenAiCompatibleProvider implements Provider {
  readonly type: "openai_compatible" | "lmstudio";
  readonly local: boolean;
  readonly baseUrl: string;
  private readonly transport: HttpTransport;
  private readonly env: Record<string, string | undefined>;
  private readonly unavailableHint: string;
  private readonly learnedModes = new Map<string, BodyMode>();

  constructor(
    readonly name: string,
    private readonly config: ProviderConfig,
    runtime: ProviderRuntime,
    defaults: OpenAiCompatibleDefaults = {
      type: "openai_compatible",
      baseUrl: runtime.env.OPENAI_BASE_URL ?? defaultOpenAiUrl,
    },
  ) {
    this.type = defaults.type;
    this.baseUrl = trimTrailingSlash(singleBaseUrl(config) ?? defaults.baseUrl);
    this.local = defaults.local ?? isLocalUrl(this.baseUrl);
    this.env = runtime.env;
    this.transport = transportFor(name, config, runtime);
    this.unavailableHint =
      defaults.unavailableHint ??
      `is the server at ${this.baseUrl} running? base_url must include /v1 (e.g. http://localhost:8000/v1)`;
  }

  private authHeaders(): Record<string, string> {
    if (this.config.auth.type !== "bearer_env") return {};
    const variable = this.config.auth.env_var ?? "OPENAI_API_KEY";
    const key = this.env[variable]?.trim();
    if (!key) {
      throw new ProviderError("auth", `${this.name}: no API key (${variable} is not set)`, {
        provider: this.name,
        hint: `export ${variable}=… (the key for ${this.baseUrl})`,
      });
    }
    return { authorization: `Bearer ${key}` };
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
      headers: { ...this.authHeaders(), ...this.config.headers },
      ...(body !== undefined ? { body } : {}),
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
    const { message, code } = openAiErrorMessage(body.json, body.text || response.statusText);
    const options = statusErrorOptions(this.name, response, body);
    const status = response.status;
    const text = `${this.name}: HTTP ${status}: ${message}`;
    if (status === 401 || status === 403) {
      const variable = this.config.auth.env_var ?? "OPENAI_API_KEY";
      return new ProviderError("auth", text, {
        ...options,
        retryable: false,
        hint: `check the key in ${variable} (auth: {type: bearer_env, env_var: ${variable}})`,
      });
    }
    if (status === 404 || code === "model_not_found") {
      return new ProviderError("model_not_found", text, {
        ...options,
        retryable: false,
        hint: `check the model id${model ? ` '${model}'` : ""} (\`hierocode models list\`) and that base_url ends with /v1`,
      });
    }
    if (status === 429 && code === "insufficient_quota") {
      return new ProviderError("auth", text, {
        ...options,
        retryable: false,
        hint: "the account is out of quota",
      });
    }
    if (status === 429) return new ProviderError("rate_limit", text, options);
    if (status === 503 || status === 529) return new ProviderError("overloaded", text, options);
    if (status === 408 || status === 504) return new ProviderError("timeout", text, options);
    if (status >= 500) return new ProviderError("server", text, options);
    return new ProviderError("bad_request", text, options);
  }

  private chatBody(request: GenerateRequest, stream: boolean, mode: BodyMode): Record<string, unknown> {
    let system = joinedSystemText(request);
    let responseFormat: Record<string, unknown> | undefined;
    if (request.jsonSchema && mode.structured === "json_schema") {
      responseFormat = {
        type: "json_schema",
        json_schema: { name: request.schemaName ?? "output", schema: request.jsonSchema, strict: true },
      };
    } else if (request.jsonSchema) {
      // json_object mode needs the word JSON in the prompt, and the schema is otherwise lost.
      const instruction = `Answer with one JSON object that matches this JSON Schema:\n${JSON.stringify(request.jsonSchema)}`;
      system = system ? `${system}\n\n${instruction}` : instruction;
      responseFormat = { type: "json_object" };
    }
    return {
      model: request.model,
      messages: [
        ...(system ? [{ role: "system", content: system }] : []),
        ...request.messages.map((message) => ({ role: message.role, content: message.content })),
      ],
      [mode.tokensField]: request.maxOutputTokens,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(responseFormat ? { response_format: responseFormat } : {}),
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    };
  }

  /**
   * Runs `attempt`, adapting the body once per kind of 400 the server gives: json_schema
   * rejected → json_object with the schema in the prompt (and a warning); max_tokens rejected →
   * max_completion_tokens. What worked is remembered per model for later calls.
   */
  private async withServerAdaptations<T>(
    request: GenerateRequest,
    warnings: string[],
    attempt: (mode: BodyMode) => Promise<T>,
  ): Promise<T> {
    let mode = this.learnedModes.get(request.model) ?? initialMode;
    if (mode.structured === "json_object" && request.jsonSchema) warnings.push(this.jsonObjectWarning());
    for (let adaptations = 0; ; adaptations += 1) {
      try {
        const result = await attempt(mode);
        if (mode !== initialMode) this.learnedModes.set(request.model, mode);
        return result;
      } catch (error) {
        if (
          adaptations >= 2 ||
          !(error instanceof ProviderError) ||
          (error.status !== 400 && error.status !== 422)
        )
          throw error;
        const said = `${error.message} ${error.bodyExcerpt ?? ""}`;
        if (mode.tokensField === "max_tokens" && /max_completion_tokens/.test(said)) {
          mode = { ...mode, tokensField: "max_completion_tokens" };
        } else if (
          request.jsonSchema !== undefined &&
          mode.structured === "json_schema" &&
          /response_format|json_schema|schema|structured/i.test(said)
        ) {
          mode = { ...mode, structured: "json_object" };
          warnings.push(this.jsonObjectWarning());
        } else {
          throw error;
        }
      }
    }
  }

  private jsonObjectWarning(): string {
    return `${this.name} rejected response_format json_schema; used json_object with the schema in the prompt`;
  }

  private buildResult(
    request: GenerateRequest,
    content: string,
    final: { model: string | undefined; finish: string | null | undefined; usage: Usage },
    warnings: string[],
    start: number,
    reasoningField = "",
  ): GenerateResult {
    // `reasoning_content` / `reasoning` when the server has a reasoning parser; inline otherwise.
    const { answer: text, reasoning: inline } = splitReasoning(content);
    const reasoning = mergeReasoning(reasoningField, inline);
    const finishReason = openAiFinishReason(final.finish);
    if (finishReason === "length")
      warnings.push(`output truncated: ${this.name} stopped at max_tokens ${request.maxOutputTokens}`);
    const json = request.jsonSchema ? attachJson(text, warnings) : undefined;
    return {
      text,
      ...(reasoning ? { reasoning } : {}),
      ...(request.jsonSchema ? { json } : {}),
      usage: final.usage,
      finishReason,
      latencyMs: elapsedSince(start),
      modelId: final.model ?? request.model,
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
      const json = await this.withServerAdaptations(request, warnings, async (mode) => {
        const call = this.call(
          "POST",
          "/chat/completions",
          scope,
          this.chatBody(request, false, mode),
          request.model,
        );
        return (await requestJson<ChatCompletion>(this.transport, call)).json;
      });
      const choice = json.choices?.[0];
      const final = { model: json.model, finish: choice?.finish_reason, usage: openAiUsage(json.usage) };
      const message = choice?.message;
      return this.buildResult(
        request,
        message?.content ?? "",
        final,
        warnings,
        start,
        message?.reasoning_content ?? message?.reasoning ?? "",
      );
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
      const action = `POST ${this.baseUrl}/chat/completions`;
      const response = await this.withServerAdaptations(request, warnings, (mode) =>
        openStream(
          this.transport,
          this.call("POST", "/chat/completions", scope, this.chatBody(request, true, mode), request.model),
        ),
      );
      let text = "";
      let reasoningText = "";
      let model: string | undefined;
      let finish: string | null | undefined;
      let usage: Usage | undefined;
      let done = false;
      const events = readSse(response.body ?? new ReadableStream());
      while (!done) {
        let next: IteratorResult<{ data: string }>;
        try {
          next = await events.next();
        } catch (error) {
          throw translateFailure(error, scope, { provider: this.name, action, responseStarted: true });
        }
        if (next.done) break;
        if (next.value.data.trim() === "[DONE]") {
          done = true;
          break;
        }
        let chunk: ChatCompletion & { error?: unknown };
        try {
          chunk = JSON.parse(next.value.data) as ChatCompletion & { error?: unknown };
        } catch {
          throw new ProviderError(
            "stream",
            `${this.name}: unreadable stream chunk: ${next.value.data.slice(0, 200)}`,
            { provider: this.name },
          );
        }
        if (chunk.error !== undefined) {
          const { message } = openAiErrorMessage(chunk, "error");
          throw new ProviderError("stream", `${this.name}: error during the stream: ${message}`, {
            provider: this.name,
          });
        }
        model = chunk.model ?? model;
        if (chunk.usage) usage = openAiUsage(chunk.usage);
        const choice = chunk.choices?.[0];
        reasoningText += choice?.delta?.reasoning_content ?? choice?.delta?.reasoning ?? "";
        const delta = choice?.delta?.content;
        if (delta) {
          text += delta;
          yield { type: "text-delta", text: delta };
        }
        if (choice?.finish_reason) finish = choice.finish_reason;
      }
      // Some servers end without [DONE]; a finish_reason still proves the answer is whole.
      if (!done && !finish) {
        throw new ProviderError("stream", `${this.name}: the stream ended before [DONE] (connection cut?)`, {
          provider: this.name,
        });
      }
      const result = this.buildResult(
        request,
        text,
        { model, finish, usage: usage ?? openAiUsage(undefined) },
        warnings,
        start,
        reasoningText,
      );
      for (const warning of result.warnings) yield { type: "warning", message: warning };
      yield { type: "usage", usage: result.usage };
      yield { type: "finish", result };
    } finally {
      scope.dispose();
    }
  }

  /**
   * `POST {base_url}/embeddings` with every text in one call (`encoding_format: "float"`).
   * Errors: the ProviderErrors of `errorFor` (404 or `model_not_found` → "model_not_found"),
   * "server" for an answer of the wrong shape.
   */
  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const scope = openCallScope({ signal: request.signal, timeoutMs: 120_000 });
    try {
      const { json } = await requestJson<unknown>(
        this.transport,
        this.call(
          "POST",
          "/embeddings",
          scope,
          { model: request.model, input: request.input, encoding_format: "float" },
          request.model,
        ),
      );
      return parseOpenAiEmbed(this.name, json, request.input.length);
    } finally {
      scope.dispose();
    }
  }

  async listModels(options: { signal?: AbortSignal } = {}): Promise<ModelInfo[]> {
    const scope = openCallScope({ signal: options.signal, timeoutMs: metadataTimeoutMs });
    try {
      const { json } = await requestJson<{ data?: Array<Record<string, unknown>> }>(
        this.transport,
        this.call("GET", "/models", scope),
      );
      return (json.data ?? []).map((model) => {
        // vLLM: max_model_len; llama.cpp and others: context_length / max_context_length.
        const length = model.max_model_len ?? model.context_length ?? model.max_context_length;
        return { id: String(model.id), ...(typeof length === "number" ? { contextLength: length } : {}) };
      });
    } finally {
      scope.dispose();
    }
  }

  async capacity(model: string, options: { signal?: AbortSignal } = {}): Promise<Capacity> {
    const models = await this.listModels(options);
    const found = models.find((entry) => entry.id === model);
    if (!found) {
      throw new ProviderError(
        "model_not_found",
        `${this.name}: model '${model}' is not served at ${this.baseUrl}`,
        {
          provider: this.name,
          hint: `served models: ${
            models
              .map((entry) => entry.id)
              .slice(0, 10)
              .join(", ") || "(none)"
          }`,
        },
      );
    }
    return { model, ...(found.contextLength !== undefined ? { contextLength: found.contextLength } : {}) };
  }

  async health(options: { signal?: AbortSignal } = {}): Promise<HealthStatus> {
    const scope = openCallScope({ signal: options.signal, timeoutMs: metadataTimeoutMs });
    const needsAuth = this.config.auth.type === "bearer_env";
    try {
      const { json } = await requestJson<{ data?: unknown[] }>(
        { ...this.transport, maxRetries: 0 },
        this.call("GET", "/models", scope),
      );
      return {
        ok: true,
        reachable: true,
        ...(needsAuth ? { authenticated: true } : {}),
        message: `${this.baseUrl} serves ${json.data?.length ?? 0} model(s)`,
      };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      return {
        ok: false,
        reachable: error.status !== undefined,
        ...(error.kind === "auth" ? { authenticated: false } : {}),
        message: error.message,
        ...(error.hint ? { hint: error.hint } : {}),
      };
    } finally {
      scope.dispose();
    }
  }
}
