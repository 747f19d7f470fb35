import { describe, expect, it } from "vitest";
import { AbortError, ProviderError } from "../../src/errors.js";
import {
  backoffDelay,
  type HttpTransport,
  openCallScope,
  parseRetryAfter,
  readLines,
  readNdjson,
  readSse,
  withRetries,
} from "../../src/providers/http.js";

function body(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe("stream readers", () => {
  it("splits lines on \\n, \\r\\n and \\r, across chunk boundaries", async () => {
    expect(await all(readLines(body("a\r", "\nb\nc\rd", "e")))).toEqual(["a", "b", "c", "de"]);
    const bytes = new TextEncoder().encode("é\n");
    const split = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 1));
        controller.enqueue(bytes.slice(1));
        controller.close();
      },
    });
    expect(await all(readLines(split))).toEqual(["é"]);
  });

  it("reads NDJSON split mid-object and skips blank lines", async () => {
    expect(await all(readNdjson(body('{"a":', '1}\n\n{"b":2}\n')))).toEqual([{ a: 1 }, { b: 2 }]);
    await expect(all(readNdjson(body("{oops}\n")))).rejects.toThrow(/invalid NDJSON/);
  });

  it("parses SSE: event names, multi-line data, comments, and drops an unterminated event", async () => {
    const events = await all(
      readSse(
        body(
          ': comment\nevent: message_start\ndata: {"a":1}\n\n',
          "data: line1\ndata: line2\r\n\r\n",
          "data: cut",
        ),
      ),
    );
    expect(events).toEqual([
      { event: "message_start", data: '{"a":1}', id: undefined },
      { event: undefined, data: "line1\nline2", id: undefined },
    ]);
  });
});

describe("retry policy", () => {
  it("reads retry-after-ms, retry-after seconds and HTTP dates", () => {
    expect(parseRetryAfter(new Headers({ "retry-after-ms": "150", "retry-after": "9" }))).toBe(150);
    expect(parseRetryAfter(new Headers({ "retry-after": "2.5" }))).toBe(2500);
    const now = Date.parse("2026-11-21T12:00:00Z");
    expect(parseRetryAfter(new Headers({ "retry-after": "Sat, 21 Nov 2026 12:00:04 GMT" }), now)).toBe(4000);
    expect(parseRetryAfter(new Headers())).toBeUndefined();
  });

  it("backs off exponentially with at most 25% jitter, capped at 8 s", () => {
    expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, () => 0))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
    expect(backoffDelay(0, () => 1)).toBe(375);
  });

  const transport = (sleeps: number[], maxRetries = 2): HttpTransport => ({
    provider: "test",
    fetch: globalThis.fetch,
    maxRetries,
    random: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });

  it("retries only retryable ProviderErrors, preferring the server's retry-after (up to 60 s)", async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const result = await withRetries(transport(sleeps), undefined, async () => {
      calls += 1;
      if (calls === 1) throw new ProviderError("rate_limit", "429", { provider: "test", retryAfterMs: 1200 });
      if (calls === 2)
        throw new ProviderError("rate_limit", "429", { provider: "test", retryAfterMs: 120_000 });
      return "ok";
    });
    expect(result).toBe("ok");
    expect(sleeps).toEqual([1200, 1000]);
    await expect(
      withRetries(transport([]), undefined, async () => {
        throw new ProviderError("bad_request", "400", { provider: "test" });
      }),
    ).rejects.toMatchObject({ kind: "bad_request" });
  });

  it("stops sleeping when the call is aborted", async () => {
    const controller = new AbortController();
    const never: HttpTransport = { ...transport([]), sleep: () => new Promise(() => {}) };
    let calls = 0;
    const pending = withRetries(never, controller.signal, async () => {
      calls += 1;
      if (controller.signal.aborted) throw new AbortError();
      throw new ProviderError("server", "500", { provider: "test" });
    });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(calls).toBe(2);
  });
});

describe("call scope", () => {
  it("tells a timeout from a user abort", async () => {
    const scope = openCallScope({ timeoutMs: 10 });
    await new Promise((resolve) => scope.signal.addEventListener("abort", resolve));
    expect(scope.timedOut()).toBe(true);
    expect(scope.userAborted()).toBe(false);
    scope.dispose();
    const controller = new AbortController();
    const userScope = openCallScope({ signal: controller.signal, timeoutMs: 10_000 });
    controller.abort();
    expect(userScope.signal.aborted).toBe(true);
    expect(userScope.userAborted()).toBe(true);
    expect(userScope.timedOut()).toBe(false);
    userScope.dispose();
  });

  it("treats a caller's AbortSignal.timeout as a timeout, not a cancellation", async () => {
    const scope = openCallScope({ signal: AbortSignal.timeout(5) });
    await new Promise((resolve) => scope.signal.addEventListener("abort", resolve));
    expect(scope.timedOut()).toBe(true);
    expect(scope.userAborted()).toBe(false);
    scope.dispose();
  });
});
