/**
 * Replies are bounded and validated (issue 9): a server that ignores num_predict cannot make us
 * accept (or buffer) a runaway reply; a 200 with JSON of the wrong shape is a provider error
 * (exit 7), not an internal one; a body past the size cap is refused with an accurate message;
 * and the HTTP client's own timeouts are reported as timeouts and never retried.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors.js";
import { openCallScope, requestJson } from "../../src/providers/http.js";
import { OllamaProvider } from "../../src/providers/ollama.js";

let server: Server | undefined;
let hits = 0;

afterEach(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
  hits = 0;
});

/** A bare HTTP server on port 0 that misbehaves as told (what a broken proxy or rogue server does). */
async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  server = createServer((request, response) => {
    hits += 1;
    request.resume();
    request.on("end", () => handler(request, response));
  });
  await new Promise<void>((done) => server?.listen(0, "127.0.0.1", done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function provider(url: string, maxRetries = 2) {
  return new OllamaProvider(
    "local",
    { type: "ollama", base_url: url, auth: { type: "none" }, max_retries: maxRetries },
    { env: {}, sleep: async () => undefined },
  );
}

const request = (stream = false) => ({
  model: "m",
  messages: [{ role: "user" as const, content: "hi" }],
  maxOutputTokens: 2048,
  ...(stream ? {} : {}),
});

describe("replies are bounded", () => {
  it.each([
    ["null", "null"],
    ["a number", "42"],
    ["[null]", "[null]"],
  ])("a 200 with %s is a provider error (exit 7), not retried", async (_name, body) => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(body);
    });
    const error = await provider(url)
      .generate(request())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ exitCode: 7 });
    expect((error as Error).message).toContain("JSON of the wrong shape");
    expect(hits).toBe(1);
  });

  it("a 5 MB reply to num_predict 2048 is cut and reported as truncated, never accepted whole", async () => {
    const big = "x = 1\n".repeat(900_000);
    const url = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          model: "m",
          message: { role: "assistant", content: big },
          done: true,
          done_reason: "stop",
          eval_count: 1_800_000,
        }),
      );
    });
    const result = await provider(url).generate(request());
    expect(result.finishReason).toBe("length");
    expect(result.text.length).toBeLessThanOrEqual(2048 * 16);
    expect(result.warnings.join("\n")).toContain("more than the 2048 output tokens requested");
  });

  it("a streamed runaway reply is stopped while streaming and reported as truncated", async () => {
    let written = 0;
    const url = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/x-ndjson" });
      const piece = `${JSON.stringify({ model: "m", message: { role: "assistant", content: "y".repeat(4000) }, done: false })}\n`;
      const pump = () => {
        while (written < 20_000) {
          written += 1;
          if (!response.write(piece)) return void response.once("drain", pump);
        }
        response.end(`${JSON.stringify({ model: "m", done: true, done_reason: "stop", eval_count: 3 })}\n`);
      };
      response.on("close", () => {
        written = Number.POSITIVE_INFINITY;
      });
      pump();
    });
    let finish: { finishReason: string; text: string } | undefined;
    for await (const part of provider(url).stream(request(true)))
      if (part.type === "finish") finish = part.result;
    expect(finish?.finishReason).toBe("length");
    expect(finish?.text.length ?? 0).toBeLessThanOrEqual(2048 * 16);
  });

  it("a body beyond the size cap is refused with the cap in the message", async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ models: [], padding: "z".repeat(300_000) }));
    });
    const scope = openCallScope({ timeoutMs: 10_000 });
    const error = await requestJson(
      { provider: "local", fetch: globalThis.fetch, sleep: async () => undefined, maxRetries: 2 },
      {
        method: "GET",
        url: `${url}/api/tags`,
        scope,
        maxBodyBytes: 256 * 1024,
        toError: () => new ProviderError("server", "x", { provider: "local" }),
      },
    ).catch((caught: unknown) => caught);
    scope.dispose();
    expect(error).toMatchObject({ kind: "truncated", exitCode: 7 });
    expect((error as Error).message).toContain("the answer was larger than 256 KiB; stopped reading it");
    expect(hits).toBe(1);
  });

  it("the HTTP client's own headers timeout is a timeout, not a broken connection to retry", async () => {
    const url = await serve((_request, response) => {
      setTimeout(() => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end("{}");
      }, 1500);
    });
    // undici with a short headersTimeout stands in for Node's fixed 300 s limit.
    const agent = new Agent({ headersTimeout: 200 });
    const shortFetch = ((input: string, init?: RequestInit) =>
      undiciFetch(input, { ...(init as object), dispatcher: agent } as never)) as unknown as typeof fetch;
    const local = new OllamaProvider(
      "local",
      { type: "ollama", base_url: url, auth: { type: "none" }, max_retries: 2 },
      { env: {}, fetch: shortFetch, sleep: async () => undefined },
    );
    const error = await local.generate(request()).catch((caught: unknown) => caught);
    await agent.close();
    expect(error).toMatchObject({ kind: "timeout", isRetryable: false });
    expect((error as Error).message).toContain("UND_ERR_HEADERS_TIMEOUT");
    expect(hits).toBe(1);
  });
});
