/**
 * Shared HTTP plumbing for the HTTP providers: one call scope (user abort + hard timeout),
 * translation of fetch failures into ProviderError kinds, retries with backoff that honour
 * `retry-after`, and readers for SSE and NDJSON bodies. No vendor knowledge lives here.
 */
import { AbortError, HierocodeError, ProviderError } from "../errors.js";

export { readLines, readNdjson, readSse, type SseEvent } from "./stream-readers.js";

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything an HTTP provider needs to talk to its server; injectable for tests. */
export interface HttpTransport {
  /** Provider name, used in error messages. */
  provider: string;
  fetch: typeof fetch;
  sleep: Sleep;
  maxRetries: number;
  /** Jitter source; injectable so backoff is deterministic in tests. */
  random?: () => number;
}

/** One logical call: the caller's signal combined with a hard timeout covering headers and body. */
export interface CallScope {
  readonly signal: AbortSignal;
  readonly timeoutMs: number | undefined;
  timedOut(): boolean;
  /** True when our own timeout fired (rather than a deadline on the caller's signal). */
  ownTimeoutFired(): boolean;
  userAborted(): boolean;
  dispose(): void;
}

export function openCallScope(options: {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}): CallScope {
  const controller = new AbortController();
  let expired = false;
  const onUserAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) controller.abort(options.signal.reason);
  else options.signal?.addEventListener("abort", onUserAbort, { once: true });
  const timer =
    options.timeoutMs !== undefined && options.timeoutMs > 0
      ? setTimeout(() => {
          expired = true;
          controller.abort(new Error("timeout"));
        }, options.timeoutMs)
      : undefined;
  timer?.unref?.();
  // A caller's `AbortSignal.timeout(ms)` is a deadline, not a cancellation: report it as a timeout.
  const callerDeadline = (): boolean =>
    options.signal?.aborted === true &&
    (options.signal.reason as { name?: unknown } | undefined)?.name === "TimeoutError";
  return {
    signal: controller.signal,
    timeoutMs: options.timeoutMs,
    timedOut: () => expired || callerDeadline(),
    ownTimeoutFired: () => expired,
    userAborted: () => options.signal?.aborted === true && !expired && !callerDeadline(),
    dispose() {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onUserAbort);
      // Releases the connection when a stream consumer stops early; harmless after completion.
      if (!controller.signal.aborted) controller.abort(new Error("call finished"));
    },
  };
}

const connectionCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
]);
const resetCodes = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ETIMEDOUT"]);
/** undici's own limits (300 s for headers and between body chunks by default): a timeout, never retried. */
const transportTimeoutCodes = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
]);

function errorCodes(error: unknown, depth = 0): string[] {
  if (depth > 4 || typeof error !== "object" || error === null) return [];
  const record = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const codes = typeof record.code === "string" ? [record.code] : [];
  codes.push(...errorCodes(record.cause, depth + 1));
  if (Array.isArray(record.errors))
    for (const inner of record.errors) codes.push(...errorCodes(inner, depth + 1));
  return codes;
}

export interface FailureContext {
  provider: string;
  /** What we were doing, e.g. "POST http://…/api/chat". */
  action: string;
  /** Hint shown when the server cannot be reached at all. */
  unavailableHint?: string;
  /** True once response headers arrived (a later failure is a broken stream, not a refused connection). */
  responseStarted?: boolean;
}

/** Maps anything thrown by fetch or a body reader into our error hierarchy. */
export function translateFailure(error: unknown, scope: CallScope, context: FailureContext): Error {
  if (scope.timedOut()) {
    const limit =
      scope.ownTimeoutFired() && scope.timeoutMs !== undefined
        ? `within ${scope.timeoutMs / 1000}s`
        : "before the deadline";
    return new ProviderError(
      "timeout",
      `${context.provider}: no complete answer ${limit} (${context.action})`,
      {
        provider: context.provider,
        hint: "raise timeout_seconds for this provider, or use a smaller model",
        cause: error,
      },
    );
  }
  if (scope.userAborted()) return new AbortError(undefined, { cause: error });
  if (error instanceof HierocodeError) return error;
  const codes = errorCodes(error);
  const transportTimeout = codes.find((code) => transportTimeoutCodes.has(code));
  if (transportTimeout) {
    // A slow answer, not a broken connection: retrying would pay for the whole generation again.
    return new ProviderError(
      "timeout",
      `${context.provider}: the HTTP client gave up waiting (${transportTimeout}, ${context.action})`,
      {
        provider: context.provider,
        retryable: false,
        hint: "raise timeout_seconds for this provider, or use a smaller model",
        cause: error,
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  if (!context.responseStarted && codes.some((code) => connectionCodes.has(code))) {
    return new ProviderError(
      "unavailable",
      `${context.provider}: cannot connect (${context.action}: ${codes[0]})`,
      {
        provider: context.provider,
        ...(context.unavailableHint ? { hint: context.unavailableHint } : {}),
        cause: error,
      },
    );
  }
  const reset =
    codes.some((code) => resetCodes.has(code)) || /terminated|other side closed|socket/i.test(message);
  return new ProviderError(
    "stream",
    `${context.provider}: connection closed ${context.responseStarted ? "mid-response" : "before a response"} (${context.action})`,
    { provider: context.provider, retryable: reset || !context.responseStarted, cause: error },
  );
}

/** `retry-after-ms` (milliseconds) wins over `retry-after` (seconds or an HTTP date). */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const milliseconds = headers.get("retry-after-ms");
  if (milliseconds !== null) {
    const value = Number.parseFloat(milliseconds);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const retryAfter = headers.get("retry-after");
  if (retryAfter === null) return undefined;
  const seconds = Number.parseFloat(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** `x-should-retry: true|false` overrides the status-based decision (Anthropic, OpenAI). */
export function shouldRetryHeader(headers: Headers): boolean | undefined {
  const value = headers.get("x-should-retry");
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

/** Statuses every vendor SDK retries: 408, 409, 429 and all 5xx (including Anthropic's 529). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const maxHonouredRetryAfterMs = 60_000;

/** Backoff as the vendor SDKs do it: 0.5 s doubling to 8 s, minus up to 25 % jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(500 * 2 ** attempt, 8000);
  return Math.round(base * (1 - random() * 0.25));
}

/**
 * Sleeps, but wakes early (without error) when the call is aborted: the next attempt then
 * sees the aborted scope and reports it as a timeout or a cancellation, whichever it was.
 */
export function sleepUnlessAborted(sleep: Sleep, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleep(ms);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve();
    signal.addEventListener("abort", onAbort, { once: true });
    sleep(ms).then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or the retries run out.
 * Only ProviderErrors marked retryable are retried; their `retryAfterMs` wins over the backoff.
 */
export async function withRetries<T>(
  transport: HttpTransport,
  signal: AbortSignal | undefined,
  attempt: (attemptNumber: number) => Promise<T>,
): Promise<T> {
  for (let attemptNumber = 0; ; attemptNumber += 1) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (!(error instanceof ProviderError) || !error.isRetryable || attemptNumber >= transport.maxRetries)
        throw error;
      const hinted = error.retryAfterMs;
      const delay =
        hinted !== undefined && hinted <= maxHonouredRetryAfterMs
          ? hinted
          : backoffDelay(attemptNumber, transport.random);
      await sleepUnlessAborted(transport.sleep, delay, signal);
    }
  }
}

/** Reads an error body (capped) and parses it as JSON when it is JSON. */
export async function readErrorBody(response: Response): Promise<{ text: string; json: unknown }> {
  let text = "";
  try {
    text = (await readCapped(response, 64 * 1024)).text;
  } catch {
    // A body we cannot read still leaves the status code to go on.
  }
  text = text.slice(0, 4000);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { text, json };
}

/** Largest JSON body read from a model server (a reply is a few MB at most; 100 MB took 3.7 GB). */
export const maxJsonBodyBytes = 32 * 1024 * 1024;

/**
 * Reads a body up to `limit` bytes, decoding UTF-8 as it goes; stops (and cancels the stream)
 * past the limit instead of buffering whatever the server sends. `over` tells whether it did.
 */
export async function readCapped(
  response: Response,
  limit: number,
): Promise<{ text: string; over: boolean }> {
  if (!response.body) return { text: "", over: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > limit) {
      await reader.cancel().catch(() => undefined);
      return { text, over: true };
    }
    text += decoder.decode(value, { stream: true });
  }
  return { text: text + decoder.decode(), over: false };
}

let longCallFetch: Promise<typeof fetch> | undefined;

/**
 * fetch for calls allowed to take longer than 300 s: Node's built-in fetch gives up after 300 s
 * without response headers (undici's headersTimeout) whatever `timeout_seconds` says, so such
 * calls go through undici's fetch with an Agent whose header/body timeouts are off — the call
 * scope's own timer is the limit. Loaded on first use (undici is not needed at startup).
 */
export function fetchForLongCalls(): Promise<typeof fetch> {
  longCallFetch ??= import("undici").then(({ Agent, fetch: undiciFetch }) => {
    const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });
    return ((input: string | URL | Request, init?: RequestInit) =>
      undiciFetch(
        input as string,
        { ...(init as object), dispatcher: agent } as never,
      )) as unknown as typeof fetch;
  });
  return longCallFetch;
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/** Node's built-in fetch limit for response headers (undici's default headersTimeout). */
const builtInHeadersTimeoutMs = 300_000;

export function trimTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

const invalidJson = Symbol("invalid JSON");

export interface HttpCall {
  /** Largest body accepted from a 2xx answer (default maxJsonBodyBytes). */
  maxBodyBytes?: number;
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  scope: CallScope;
  unavailableHint?: string;
  /** Builds the provider-specific error for a non-2xx response. */
  toError: (response: Response, body: { text: string; json: unknown }) => ProviderError;
}

function actionOf(call: HttpCall): string {
  return `${call.method} ${call.url}`;
}

/** One attempt: returns a 2xx response with its body unread, or throws a translated error. */
export async function sendOnce(transport: HttpTransport, call: HttpCall): Promise<Response> {
  const failure: FailureContext = {
    provider: transport.provider,
    action: actionOf(call),
    ...(call.unavailableHint ? { unavailableHint: call.unavailableHint } : {}),
  };
  if (call.scope.signal.aborted) throw translateFailure(call.scope.signal.reason, call.scope, failure);
  let response: Response;
  const fetcher =
    transport.fetch === globalThis.fetch && (call.scope.timeoutMs ?? 0) > builtInHeadersTimeoutMs - 10_000
      ? await fetchForLongCalls()
      : transport.fetch;
  try {
    response = await fetcher(call.url, {
      method: call.method,
      headers: {
        accept: "application/json",
        ...(call.body !== undefined ? { "content-type": "application/json" } : {}),
        ...call.headers,
      },
      ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
      signal: call.scope.signal,
    });
  } catch (error) {
    throw translateFailure(error, call.scope, failure);
  }
  if (response.ok) return response;
  let errorBody: { text: string; json: unknown };
  try {
    errorBody = await readErrorBody(response);
  } catch (error) {
    throw translateFailure(error, call.scope, { ...failure, responseStarted: true });
  }
  if (call.scope.timedOut() || call.scope.userAborted())
    throw translateFailure(undefined, call.scope, failure);
  throw call.toError(response, errorBody);
}

/** Sends with retries and returns the response for the caller to stream (retries stop at the first byte). */
export function openStream(transport: HttpTransport, call: HttpCall): Promise<Response> {
  return withRetries(transport, call.scope.signal, () => sendOnce(transport, call));
}

/** Sends with retries and reads the whole JSON body inside each attempt, so a cut body is retried too. */
export function requestJson<T>(
  transport: HttpTransport,
  call: HttpCall,
): Promise<{ json: T; response: Response }> {
  return withRetries(transport, call.scope.signal, async () => {
    const response = await sendOnce(transport, call);
    let text: string;
    try {
      const body = await readCapped(response, call.maxBodyBytes ?? maxJsonBodyBytes);
      if (body.over) {
        throw new ProviderError(
          "truncated",
          `${transport.provider}: the answer was larger than ${sizeText(call.maxBodyBytes ?? maxJsonBodyBytes)}; stopped reading it (${actionOf(call)})`,
          { provider: transport.provider, status: response.status, retryable: false },
        );
      }
      text = body.text;
    } catch (error) {
      throw translateFailure(error, call.scope, {
        provider: transport.provider,
        action: actionOf(call),
        responseStarted: true,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = invalidJson;
    }
    if (parsed !== invalidJson) {
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        // A 200 with `null`, a number or `[null]` is the server's fault, not ours (exit 7).
        throw new ProviderError(
          "server",
          `${transport.provider}: the server answered with JSON of the wrong shape (${Array.isArray(parsed) ? "an array" : parsed === null ? "null" : typeof parsed}, expected an object) (${actionOf(call)})`,
          {
            provider: transport.provider,
            status: response.status,
            bodyExcerpt: text.slice(0, 500),
            retryable: false,
          },
        );
      }
      return { json: parsed as T, response };
    }
    throw new ProviderError(
      "server",
      `${transport.provider}: the server answered with invalid JSON (${actionOf(call)})`,
      {
        provider: transport.provider,
        status: response.status,
        bodyExcerpt: text.slice(0, 500),
        retryable: true,
      },
    );
  });
}

/** Common fields of a ProviderError built from an HTTP error response. */
export function statusErrorOptions(
  provider: string,
  response: Response,
  body: { text: string },
): { provider: string; status: number; bodyExcerpt: string; retryable: boolean; retryAfterMs?: number } {
  const retryAfterMs = parseRetryAfter(response.headers);
  return {
    provider,
    status: response.status,
    bodyExcerpt: body.text.slice(0, 500),
    retryable: shouldRetryHeader(response.headers) ?? isRetryableStatus(response.status),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}
