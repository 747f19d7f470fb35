/**
 * The provider specification: types only, no vendor types. Every backend (Ollama, Anthropic,
 * OpenAI-compatible, LM Studio, the claude and codex CLIs) implements `Provider`.
 */

export type ProviderType =
  | "ollama"
  | "anthropic"
  | "openai_compatible"
  | "lmstudio"
  | "claude_code_cli"
  | "codex_cli"
  | "llama_cpp"
  | "replay";

export type Role = "planner" | "drafter" | "reviewer";

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

/** JSON Schema object (draft 2020-12 subset that every backend accepts). */
export type JsonSchema = Record<string, unknown>;

export interface GenerateRequest {
  model: string;
  /** Stable instructions. Providers that support prompt caching cache it. */
  system?: string;
  /**
   * Optional large, stable block (e.g. the repository map) sent right after the system text.
   * Anthropic marks it for prompt caching; other providers prepend it to the system text.
   */
  cachedContext?: string;
  messages: ChatMessage[];
  maxOutputTokens: number;
  /** When set, the provider asks for structured output and returns `json`. */
  jsonSchema?: JsonSchema;
  /** Name for the schema (OpenAI requires one). */
  schemaName?: string;
  temperature?: number;
  signal?: AbortSignal;
  /** Hard limit for the whole call in milliseconds. */
  timeoutMs?: number;
  /** Working directory for CLI providers (the repository). */
  cwd?: string;
  /** CLI planners: allow read-only tools (Read/Grep/Glob) when "active". */
  exploration?: "passive" | "active";
  /** Ollama: how long to keep the model loaded afterwards (e.g. "5m"). */
  keepAlive?: string;
  /** Ollama: the context window to allocate; defaults to prompt + output estimate. */
  numCtx?: number;
  /**
   * Who asks and why (the pipeline's role and call purpose). Providers ignore it; recording and
   * replay (src/providers/record.ts, replay.ts) use it to match calls by role.
   */
  callTag?: { role: Role; purpose: string };
}

export interface Usage {
  /** Prompt tokens that were neither read from nor written to a cache. */
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls" | "error" | "other";

export interface GenerateResult {
  /** The answer, without the model's reasoning (see providers/reasoning.ts). */
  text: string;
  /**
   * The model's reasoning, kept apart from the answer: a separate field of the reply or a leading
   * `<think>` block / harmony analysis channel. Its tokens are part of `usage.outputTokens`.
   */
  reasoning?: string;
  /** Parsed JSON when a schema was requested (validated by the caller, not here). */
  json?: unknown;
  usage: Usage;
  finishReason: FinishReason;
  /** Wall time of the call in milliseconds. */
  latencyMs: number;
  /** The model id the backend reports it used. */
  modelId: string;
  /** Subscription messages consumed (1 for CLI providers, 0 otherwise). */
  subscriptionMessages: number;
  /** Cost reported by the backend itself, if any (claude CLI's estimate). */
  reportedCostUsd?: number;
  /** Warnings about settings the backend ignored. */
  warnings: string[];
}

export type StreamPart =
  | { type: "text-delta"; text: string }
  | { type: "usage"; usage: Usage }
  | { type: "finish"; result: GenerateResult }
  | { type: "warning"; message: string };

export interface ModelInfo {
  id: string;
  /** Context window in tokens, when the backend exposes it. */
  contextLength?: number;
  parameterSize?: string;
  parameterCount?: number;
  quantization?: string;
  family?: string;
  sizeBytes?: number;
}

export interface HealthStatus {
  ok: boolean;
  /** reachable/installed */
  reachable: boolean;
  /** authenticated (not just installed); undefined when the backend needs no auth */
  authenticated?: boolean;
  /** one line: what happened */
  message: string;
  /** one line: what to do */
  hint?: string;
  version?: string;
  /** A server answered but is not the configured kind (e.g. an OpenAI-compatible server set up as Ollama). */
  kindMismatch?: boolean;
}

export interface Capacity {
  model: string;
  /** The real context window the model supports (trained / served). */
  contextLength?: number;
  parameterCount?: number;
  parameterSize?: string;
  quantization?: string;
  family?: string;
  /** Context currently allocated by a running server (Ollama /api/ps), if loaded. */
  loadedContextLength?: number;
  /** KV-cache bytes per token of context at f16 (Ollama: from /api/show's model_info). */
  kvBytesPerToken?: number;
  /** Size of the model's weights in bytes. */
  sizeBytes?: number;
}

export interface Provider {
  readonly name: string;
  readonly type: ProviderType;
  /** True when calls run on the user's own hardware (decides the worker pool). */
  readonly local: boolean;
  generate(request: GenerateRequest): Promise<GenerateResult>;
  stream(request: GenerateRequest): AsyncIterable<StreamPart>;
  listModels(options?: { signal?: AbortSignal }): Promise<ModelInfo[]>;
  /** Cheap, free check: reachable and authenticated. Never spends money. */
  health(options?: { signal?: AbortSignal }): Promise<HealthStatus>;
  /** Context window and size of a model, where the backend exposes them. */
  capacity?(model: string, options?: { signal?: AbortSignal }): Promise<Capacity>;
  /** Exact input-token count where the backend offers a free endpoint (Anthropic). */
  countTokens?(request: GenerateRequest): Promise<number>;
  /** Embedding vectors for texts, where the backend serves an embedding endpoint (Ollama, OpenAI-compatible). */
  embed?(request: EmbedRequest): Promise<EmbedResult>;
}

export interface EmbedRequest {
  model: string;
  /** Non-empty texts; one vector comes back per text, in order. */
  input: string[];
  signal?: AbortSignal;
}

export interface EmbedResult {
  /** One vector per input text, in input order. */
  vectors: number[][];
  /** Input tokens the server reports having read (0 when it reports none). */
  inputTokens: number;
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}
