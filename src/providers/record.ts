/**
 * Recording model sessions to a cassette: JSON Lines, one line per model-server call, written by
 * a wrapper around any {@link Provider} so every backend and every role is covered without
 * touching the backends.
 *
 * Cassette format (version 1), one JSON object per line:
 * - line 1: `{type: "cassette", version: 1, hierocode, createdAt, redacted}`;
 * - one `{type: "call", seq, kind, provider, providerType, local, model, role?, purpose?, digest,
 *   request?, parts?, result?, error?, startedMs, latencyMs}` per call, where `kind` is
 *   `generate | stream | health | listModels | capacity | countTokens`.
 *
 * Secrets never enter a cassette: every string (request, streamed parts, result) goes through the
 * run log's lossy redactor (src/checks/redact.ts `createRedactor`); no headers are recorded at
 * all. With `redactRequest` the request itself is left out (only its digest and sizes remain).
 */
import { createHash } from "node:crypto";
import { appendFileSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { createRedactor } from "../checks/redact.js";
import type { ProviderConfig } from "../config/schema.js";
import { type HierocodeError, ProviderError } from "../errors.js";
import { VERSION } from "../version.js";
import type {
  Capacity,
  GenerateRequest,
  GenerateResult,
  HealthStatus,
  ModelInfo,
  Provider,
  ProviderType,
  StreamPart,
} from "./spec.js";

export const cassetteVersion = 1;

export type CallKind = "generate" | "stream" | "health" | "listModels" | "capacity" | "countTokens";

export interface CassetteHeader {
  type: "cassette";
  version: number;
  hierocode: string;
  createdAt: string;
  /** True when requests were left out (`--record-redact`). */
  redacted: boolean;
}

/** The request fields that decide the answer (no signal, timeout, cwd or keep-alive). */
export interface RecordedRequest {
  model: string;
  system?: string;
  cachedContext?: string;
  messages: GenerateRequest["messages"];
  maxOutputTokens: number;
  jsonSchema?: GenerateRequest["jsonSchema"];
  schemaName?: string;
  temperature?: number;
  exploration?: GenerateRequest["exploration"];
  numCtx?: number;
}

export interface RecordedError {
  name: string;
  code?: string;
  kind?: string;
  message: string;
  hint?: string;
}

export interface CassetteCall {
  type: "call";
  seq: number;
  kind: CallKind;
  /** The provider entry's name in the config. */
  provider: string;
  providerType: ProviderType;
  local: boolean;
  model: string;
  role?: string;
  purpose?: string;
  /** sha256 (hex) of the canonical JSON of the redacted {@link RecordedRequest}; "" for non-generation calls. */
  digest: string;
  /** Sizes of the request in characters (always recorded, also with --record-redact). */
  requestChars?: number;
  request?: RecordedRequest;
  /** Streamed parts, for `stream` calls. */
  parts?: StreamPart[];
  /** The answer: GenerateResult, HealthStatus, ModelInfo[], Capacity or a token count. */
  result?: unknown;
  error?: RecordedError;
  /** Milliseconds since the recording started. */
  startedMs: number;
  latencyMs: number;
}

/** Canonical JSON: object keys sorted, undefined dropped (the digest must not depend on key order). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
}

export function redactDeep<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item, redact);
    return out as T;
  }
  return value;
}

/** The answer-deciding part of a request, redacted. */
export function recordedRequest(request: GenerateRequest, redact: (text: string) => string): RecordedRequest {
  const picked: RecordedRequest = {
    model: request.model,
    ...(request.system !== undefined ? { system: request.system } : {}),
    ...(request.cachedContext !== undefined ? { cachedContext: request.cachedContext } : {}),
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
    maxOutputTokens: request.maxOutputTokens,
    ...(request.jsonSchema !== undefined ? { jsonSchema: request.jsonSchema } : {}),
    ...(request.schemaName !== undefined ? { schemaName: request.schemaName } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.exploration !== undefined ? { exploration: request.exploration } : {}),
    ...(request.numCtx !== undefined ? { numCtx: request.numCtx } : {}),
  };
  return redactDeep(picked, redact);
}

/** sha256 hex of the canonical JSON of a recorded request. */
export function requestDigest(request: RecordedRequest): string {
  return createHash("sha256").update(canonicalJson(request)).digest("hex");
}

export function recordError(error: unknown, redact: (text: string) => string): RecordedError {
  const err = error as Partial<HierocodeError> & { kind?: string; name?: string; message?: string };
  return {
    name: err.name ?? "Error",
    ...(typeof err.code === "string" ? { code: err.code } : {}),
    ...(error instanceof ProviderError ? { kind: error.kind } : {}),
    message: redact(err.message ?? String(error)),
    ...(err.hint ? { hint: redact(err.hint) } : {}),
  };
}

/**
 * Appends calls to a cassette file, one synchronous append per call (a Ctrl-C leaves every
 * earlier line intact). The file is created (or truncated) with mode 0600 when the recorder is made.
 */
export class CassetteRecorder {
  private seq = 0;
  private readonly started = Date.now();
  readonly redact: (text: string) => string;

  constructor(
    readonly file: string,
    readonly options: { env: Record<string, string | undefined>; redactRequest?: boolean },
  ) {
    this.redact = createRedactor(options.env);
    mkdirSync(dirname(file), { recursive: true });
    closeSync(openSync(file, "w", 0o600));
    const header: CassetteHeader = {
      type: "cassette",
      version: cassetteVersion,
      hierocode: VERSION,
      createdAt: new Date(this.started).toISOString(),
      redacted: Boolean(options.redactRequest),
    };
    appendFileSync(file, `${JSON.stringify(header)}\n`);
  }

  /** Milliseconds since the recording started. */
  elapsed(): number {
    return Date.now() - this.started;
  }

  append(call: Omit<CassetteCall, "type" | "seq">): void {
    const line: CassetteCall = { type: "call", seq: ++this.seq, ...call };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  /** Wraps `inner` so each of its calls is recorded; answers and errors pass through unchanged. */
  wrap(name: string, config: ProviderConfig, inner: Provider): Provider {
    return new RecordingProvider(name, config, inner, this);
  }
}

class RecordingProvider implements Provider {
  readonly type: ProviderType;
  readonly local: boolean;
  readonly capacity?: Provider["capacity"];
  readonly countTokens?: Provider["countTokens"];

  constructor(
    readonly name: string,
    _config: ProviderConfig,
    private readonly inner: Provider,
    private readonly recorder: CassetteRecorder,
  ) {
    this.type = inner.type;
    this.local = inner.local;
    if (inner.capacity) {
      const capacity = inner.capacity.bind(inner);
      this.capacity = (model, options) =>
        this.around("capacity", model, undefined, () => capacity(model, options));
    }
    if (inner.countTokens) {
      const count = inner.countTokens.bind(inner);
      this.countTokens = (request) =>
        this.around("countTokens", request.model, request, () => count(request));
    }
  }

  private base(kind: CallKind, model: string, request: GenerateRequest | undefined) {
    const { recorder } = this;
    const recorded = request ? recordedRequest(request, recorder.redact) : undefined;
    return {
      kind,
      provider: this.name,
      providerType: this.type,
      local: this.local,
      model,
      ...(request?.callTag ? { role: request.callTag.role, purpose: request.callTag.purpose } : {}),
      digest: recorded ? requestDigest(recorded) : "",
      ...(recorded ? { requestChars: canonicalJson(recorded).length } : {}),
      ...(recorded && !recorder.options.redactRequest ? { request: recorded } : {}),
      startedMs: recorder.elapsed(),
    };
  }

  private async around<T>(
    kind: CallKind,
    model: string,
    request: GenerateRequest | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const base = this.base(kind, model, request);
    const started = Date.now();
    try {
      const result = await call();
      this.recorder.append({
        ...base,
        result: redactDeep(result, this.recorder.redact),
        latencyMs: Date.now() - started,
      });
      return result;
    } catch (error) {
      this.recorder.append({
        ...base,
        error: recordError(error, this.recorder.redact),
        latencyMs: Date.now() - started,
      });
      throw error;
    }
  }

  generate(request: GenerateRequest): Promise<GenerateResult> {
    return this.around("generate", request.model, request, () => this.inner.generate(request));
  }

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const base = this.base("stream", request.model, request);
    const started = Date.now();
    const parts: StreamPart[] = [];
    try {
      for await (const part of this.inner.stream(request)) {
        parts.push(redactDeep(part, this.recorder.redact));
        yield part;
      }
    } catch (error) {
      this.recorder.append({
        ...base,
        parts,
        error: recordError(error, this.recorder.redact),
        latencyMs: Date.now() - started,
      });
      throw error;
    }
    this.recorder.append({ ...base, parts, latencyMs: Date.now() - started });
  }

  listModels(options?: { signal?: AbortSignal }): Promise<ModelInfo[]> {
    return this.around("listModels", "", undefined, () => this.inner.listModels(options));
  }

  health(options?: { signal?: AbortSignal }): Promise<HealthStatus> {
    return this.around("health", "", undefined, () => this.inner.health(options));
  }
}

/** A capacity or token count recorded for replay. */
export type RecordedAnswer = Capacity | HealthStatus | ModelInfo[] | GenerateResult | number;
