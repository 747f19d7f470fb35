/**
 * Replaying a cassette (src/providers/record.ts): a {@link Provider} that answers every call from
 * the recorded lines — no network, no model. Generation calls are matched by role (or, for calls
 * made outside the pipeline such as `worker`, by model) and order; in strict mode also by the
 * request digest, and a changed request is reported with its first difference. Health, model
 * lists, capacity and token counts are answered from the recorded ones (the last one repeats).
 */
import { readFileSync } from "node:fs";
import { createRedactor } from "../checks/redact.js";
import { AbortError, ProviderError, UsageError } from "../errors.js";
import {
  type CallKind,
  type CassetteCall,
  type CassetteHeader,
  canonicalJson,
  cassetteVersion,
  type RecordedError,
  type RecordedRequest,
  recordedRequest,
  requestDigest,
} from "./record.js";
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

/** A cassette read into memory, with the replay cursors shared by every provider that uses it. */
export class Cassette {
  private readonly used = new Set<number>();
  private readonly lastOf = new Map<string, CassetteCall>();

  constructor(
    readonly file: string,
    readonly header: CassetteHeader,
    readonly calls: CassetteCall[],
  ) {}

  /** Generation calls matching `key` that have not been replayed yet, in order. */
  nextGeneration(key: (call: CassetteCall) => boolean): { call?: CassetteCall; total: number } {
    let total = 0;
    let found: CassetteCall | undefined;
    for (const call of this.calls) {
      if ((call.kind !== "generate" && call.kind !== "stream") || !key(call)) continue;
      total++;
      if (!found && !this.used.has(call.seq)) found = call;
    }
    if (found) this.used.add(found.seq);
    return { ...(found ? { call: found } : {}), total };
  }

  /** The next recorded non-generation answer of `kind` for `model`; the last one repeats. */
  nextAnswer(kind: CallKind, model: string, provider?: string): CassetteCall | undefined {
    const slot = `${provider ?? ""}|${kind}|${model}`;
    const fits = (call: CassetteCall) =>
      call.kind === kind && (!model || call.model === model) && (!provider || call.provider === provider);
    for (const call of this.calls) {
      if (!fits(call) || this.used.has(call.seq)) continue;
      this.used.add(call.seq);
      this.lastOf.set(slot, call);
      return call;
    }
    return this.lastOf.get(slot) ?? this.calls.findLast(fits);
  }

  /** The recorded provider of this name (its type and locality), if any. */
  providerOf(name: string): CassetteCall | undefined {
    return this.calls.find((call) => call.provider === name);
  }
}

/**
 * Reads a cassette file. Throws UsageError (exit 2) when it is missing, not a cassette, or of a
 * newer version; a torn last line (a recording cut by Ctrl-C) is ignored.
 */
export function readCassette(file: string): Cassette {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read the cassette ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      {
        hint: "record one with --record FILE on run, plan, draft, review or worker",
      },
    );
  }
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const parsed: unknown[] = [];
  lines.forEach((line, index) => {
    try {
      parsed.push(JSON.parse(line));
    } catch {
      if (index !== lines.length - 1)
        throw new UsageError(`${file}:${index + 1} is not JSON; the cassette is damaged`);
    }
  });
  const header = parsed[0] as CassetteHeader | undefined;
  if (header?.type !== "cassette" || typeof header.version !== "number")
    throw new UsageError(`${file} is not a hierocode cassette (its first line is not a cassette header)`);
  if (header.version > cassetteVersion)
    throw new UsageError(
      `${file} is a version ${header.version} cassette; this hierocode reads version ${cassetteVersion}`,
      {
        hint: "upgrade hierocode",
      },
    );
  const calls = parsed
    .slice(1)
    .filter((line): line is CassetteCall => (line as CassetteCall)?.type === "call");
  return new Cassette(file, header, calls);
}

const snippetLength = 40;

function snippet(text: string, at: number): string {
  const piece = text.slice(at, at + snippetLength);
  return JSON.stringify(piece + (text.length > at + snippetLength ? "…" : ""));
}

/**
 * The first place where two recorded requests differ, as one line
 * (`messages[0].content at character 120: recorded "…", now "…"`), or undefined when equal.
 */
export function firstDifference(recorded: unknown, now: unknown, path = ""): string | undefined {
  if (canonicalJson(recorded) === canonicalJson(now)) return undefined;
  const where = path || "request";
  if (typeof recorded === "string" && typeof now === "string") {
    let at = 0;
    while (at < recorded.length && at < now.length && recorded[at] === now[at]) at++;
    return `${where} at character ${at}: recorded ${snippet(recorded, at)}, now ${snippet(now, at)}`;
  }
  if (Array.isArray(recorded) && Array.isArray(now)) {
    for (let index = 0; index < Math.max(recorded.length, now.length); index++) {
      if (index >= recorded.length)
        return `${where} has more items now (${now.length}, recorded ${recorded.length})`;
      if (index >= now.length)
        return `${where} has fewer items now (${now.length}, recorded ${recorded.length})`;
      const found = firstDifference(recorded[index], now[index], `${where}[${index}]`);
      if (found) return found;
    }
  }
  if (
    recorded &&
    now &&
    typeof recorded === "object" &&
    typeof now === "object" &&
    !Array.isArray(recorded)
  ) {
    const a = recorded as Record<string, unknown>;
    const b = now as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const found = firstDifference(a[key], b[key], path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  const show = (value: unknown) => (value === undefined ? "absent" : canonicalJson(value).slice(0, 60));
  return `${where}: recorded ${show(recorded)}, now ${show(now)}`;
}

function rethrow(error: RecordedError, provider: string): never {
  if (error.name === "AbortError" || error.code === "aborted") throw new AbortError();
  throw new ProviderError((error.kind as ProviderError["kind"]) ?? "server", `${error.message} (replayed)`, {
    provider,
    retryable: false,
    ...(error.hint ? { hint: error.hint } : {}),
  });
}

const localTypes = new Set<string>(["ollama", "lmstudio", "llama_cpp"]);

export interface ReplayOptions {
  /** Also match each generation call by request digest (default true). */
  strict: boolean;
  env: Record<string, string | undefined>;
  /** The configured type (for --replay); a `type: replay` entry takes the recorded one. */
  type?: ProviderType;
  /**
   * For `type: replay` entries: when no recorded provider has this entry's name, match the calls
   * of any recorded provider (type and locality then come from the first recorded call).
   */
  anyProvider?: boolean;
}

/** Answers every call from a cassette. */
export class ReplayProvider implements Provider {
  readonly type: ProviderType;
  readonly local: boolean;
  private readonly anyProvider: boolean;
  private readonly redact: (text: string) => string;

  constructor(
    readonly name: string,
    private readonly cassette: Cassette,
    private readonly options: ReplayOptions,
  ) {
    const own = cassette.providerOf(name);
    this.anyProvider = Boolean(options.anyProvider) && !own;
    const recorded = own ?? (this.anyProvider ? cassette.calls[0] : undefined);
    this.type = options.type ?? recorded?.providerType ?? "replay";
    this.local = recorded?.local ?? localTypes.has(this.type);
    this.redact = createRedactor(options.env);
  }

  private pick(request: GenerateRequest): CassetteCall {
    if (request.signal?.aborted) throw new AbortError();
    const role = request.callTag?.role;
    const mine = (call: CassetteCall) => this.anyProvider || call.provider === this.name;
    const matches = role
      ? (call: CassetteCall) => mine(call) && call.role === role
      : (call: CassetteCall) => mine(call) && call.model === request.model;
    const what = role ? `${role} call` : `call to ${request.model}`;
    const { call, total } = this.cassette.nextGeneration(matches);
    if (!call) {
      throw new ProviderError(
        "unavailable",
        `replay: ${this.cassette.file} has no more ${what}s (it recorded ${total})`,
        {
          provider: this.name,
          retryable: false,
          hint: "the run made more calls than the recording; record it again with --record FILE",
        },
      );
    }
    if (this.options.strict) {
      const now = recordedRequest(request, this.redact);
      if (requestDigest(now) !== call.digest) {
        const difference = call.request
          ? firstDifference(call.request, now as RecordedRequest)
          : "the cassette was recorded with --record-redact, so only the digests can be compared";
        throw new ProviderError(
          "bad_request",
          `replay: the ${what} differs from the cassette's call ${call.seq}: ${difference}`,
          {
            provider: this.name,
            retryable: false,
            hint: "the prompt changed since the recording; record again with --record FILE, or replay by role and order with --replay-mode order",
          },
        );
      }
    }
    return call;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const call = this.pick(request);
    if (call.error) rethrow(call.error, this.name);
    if (call.result) return call.result as GenerateResult;
    const finish = call.parts?.find((part) => part.type === "finish");
    if (finish?.type === "finish") return finish.result;
    throw new ProviderError("stream", `replay: call ${call.seq} of ${this.cassette.file} has no answer`, {
      provider: this.name,
      retryable: false,
    });
  }

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const call = this.pick(request);
    if (call.parts) {
      for (const part of call.parts) {
        if (request.signal?.aborted) throw new AbortError();
        yield part;
      }
    } else if (call.result) {
      const result = call.result as GenerateResult;
      if (result.text) yield { type: "text-delta", text: result.text };
      yield { type: "usage", usage: result.usage };
      yield { type: "finish", result };
    }
    if (call.error) rethrow(call.error, this.name);
  }

  private answer<T>(kind: CallKind, model: string, fallback: () => T): T {
    const call = this.cassette.nextAnswer(kind, model, this.anyProvider ? undefined : this.name);
    if (!call) return fallback();
    if (call.error) rethrow(call.error, this.name);
    return call.result as T;
  }

  async listModels(): Promise<ModelInfo[]> {
    return this.answer("listModels", "", () =>
      [...new Set(this.cassette.calls.map((call) => call.model).filter(Boolean))].map((id) => ({ id })),
    );
  }

  async health(): Promise<HealthStatus> {
    return this.answer("health", "", () => ({
      ok: true,
      reachable: true,
      message: `replaying ${this.cassette.file} (${this.cassette.calls.length} recorded calls)`,
    }));
  }

  async capacity(model: string): Promise<Capacity> {
    return this.answer<Capacity>("capacity", model, () => ({ model }));
  }
}

/** How many generation calls of a cassette were not replayed (for a closing note). */
export function describeCall(call: CassetteCall): string {
  return `${call.seq} ${call.kind} ${call.role ?? "-"} ${call.model}`;
}
