import { afterEach, describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/config/schema.js";
import { AbortError, ProviderError } from "../../src/errors.js";
import { OllamaProvider, ollamaBaseUrl, ollamaContextSize } from "../../src/providers/ollama.js";
import type { GenerateRequest, StreamPart } from "../../src/providers/spec.js";
import { type FakeOllama, instantRuntime, startFakeOllama } from "../kit/index.js";

let fake: FakeOllama | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function config(url: string, extra: Partial<ProviderConfig> = {}): ProviderConfig {
  return { type: "ollama", base_url: url, auth: { type: "none" }, ...extra };
}

function request(extra: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    model: "qwen2.5-coder:7b",
    system: "You write code.",
    messages: [{ role: "user", content: "Write a function." }],
    maxOutputTokens: 512,
    ...extra,
  };
}

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

async function setup(script?: Parameters<typeof startFakeOllama>[0], extra: Partial<ProviderConfig> = {}) {
  fake = await startFakeOllama(script);
  const { runtime, sleeps } = instantRuntime();
  return { fake, sleeps, provider: new OllamaProvider("local", config(fake.url, extra), runtime) };
}

describe("OllamaProvider.generate", () => {
  it("calls /api/chat without streaming and always sends num_ctx and num_predict", async () => {
    const { fake, provider } = await setup({ default: { text: "function add(a, b) { return a + b; }" } });
    const result = await provider.generate(request({ cachedContext: "REPO MAP" }));

    expect(result.text).toBe("function add(a, b) { return a + b; }");
    expect(result.finishReason).toBe("stop");
    expect(result.modelId).toBe("qwen2.5-coder:7b");
    expect(result.usage.outputTokens).toBe(9);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.subscriptionMessages).toBe(0);
    expect(result.warnings).toEqual([]);

    const sent = fake.lastRequest("/api/chat").body;
    expect(sent.stream).toBe(false);
    expect(sent.options.num_ctx).toBe(2048);
    expect(sent.options.num_predict).toBe(512);
    expect(sent.messages[0]).toEqual({ role: "system", content: "You write code.\n\nREPO MAP" });
    expect(sent.messages[1]).toEqual({ role: "user", content: "Write a function." });
    expect(sent.format).toBeUndefined();
  });

  it("sizes num_ctx to the prompt plus the output budget, in multiples of 1024", async () => {
    const { fake, provider } = await setup();
    const big = request({ messages: [{ role: "user", content: "x".repeat(40_000) }], maxOutputTokens: 2000 });
    await provider.generate(big);
    const numCtx = fake.lastRequest("/api/chat").body.options.num_ctx as number;
    expect(numCtx % 1024).toBe(0);
    expect(numCtx).toBeGreaterThanOrEqual(Math.ceil(40_000 / 4) + 2000);
    expect(numCtx).toBe(ollamaContextSize(big));
    expect(ollamaContextSize(request({ numCtx: 16384 }))).toBe(16384);
  });

  it("sends the JSON schema as format and parses the JSON answer", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
    const { fake, provider } = await setup({ default: { json: { ok: true } } });
    const result = await provider.generate(request({ jsonSchema: schema }));
    expect(result.json).toEqual({ ok: true });
    expect(fake.lastRequest().body.format).toEqual(schema);
  });

  it("extracts JSON wrapped in prose and warns when there is none", async () => {
    const { provider, fake } = await setup({ default: { text: 'Here: ```json\n{"a": "}"}\n```' } });
    expect((await provider.generate(request({ jsonSchema: { type: "object" } }))).json).toEqual({ a: "}" });
    fake.script.setDefault({ text: "no json at all" });
    const result = await provider.generate(request({ jsonSchema: { type: "object" } }));
    expect(result.json).toBeUndefined();
    expect(result.warnings.join()).toMatch(/not valid JSON/);
  });

  it("reports done_reason length as truncation with a warning", async () => {
    const { provider } = await setup({ default: { text: "word ".repeat(100) } });
    const result = await provider.generate(request({ maxOutputTokens: 10 }));
    expect(result.finishReason).toBe("length");
    expect(result.text.length).toBe(40);
    expect(result.warnings[0]).toMatch(/truncated.*num_predict 10/);
  });

  it("sends keep_alive and temperature when set, and tolerates missing metrics", async () => {
    const { fake, provider } = await setup(
      { default: { text: "hi", omitUsage: true } },
      { keep_alive: "10m" },
    );
    const result = await provider.generate(request({ temperature: 0.2 }));
    const sent = fake.lastRequest().body;
    expect(sent.keep_alive).toBe("10m");
    expect(sent.options.temperature).toBe(0.2);
    expect(result.usage).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
  });
});

describe("OllamaProvider faults", () => {
  it("turns 404 model not found into model_not_found with an `ollama pull` hint", async () => {
    const { provider } = await setup();
    const error = await rejection(provider.generate(request({ model: "mistral:7b" })));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("model_not_found");
    expect((error as ProviderError).hint).toBe("ollama pull mistral:7b");
  });

  it("reports a refused connection as unavailable, naming OLLAMA_HOST and ollama serve", async () => {
    const { fake, provider } = await setup();
    await fake.close();
    const error = (await rejection(provider.generate(request()))) as ProviderError;
    expect(error.kind).toBe("unavailable");
    expect(error.hint).toMatch(/ollama serve/);
    expect(error.hint).toMatch(/OLLAMA_HOST/);
    const health = await provider.health();
    expect(health).toMatchObject({ ok: false, reachable: false });
  });

  it("retries a 429 after retry-after and then succeeds", async () => {
    const { fake, provider, sleeps } = await setup([
      {
        reply: { fault: { status: 429, body: { error: "busy" }, headers: { "retry-after": "2" } } },
        times: 1,
      },
      { reply: { text: "done" } },
    ]);
    const result = await provider.generate(request());
    expect(result.text).toBe("done");
    expect(sleeps).toEqual([2000]);
    expect(fake.requestsTo("/api/chat")).toHaveLength(2);
  });

  it("retries 500 up to max_retries and then fails with kind server", async () => {
    const { fake, provider, sleeps } = await setup(
      { default: { fault: { status: 500, body: { error: "boom" } } } },
      { max_retries: 2 },
    );
    const error = (await rejection(provider.generate(request()))) as ProviderError;
    expect(error.kind).toBe("server");
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/boom/);
    expect(fake.requestsTo("/api/chat")).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it("maps 401 from an authenticating proxy in front of Ollama to auth, without retrying", async () => {
    const { fake, provider } = await setup({
      default: { fault: { status: 401, body: { error: "unauthorized" } } },
    });
    const error = (await rejection(provider.generate(request()))) as ProviderError;
    expect(error.kind).toBe("auth");
    expect(fake.requestsTo("/api/chat")).toHaveLength(1);
  });

  it("maps 503 (queue full) to overloaded", async () => {
    const { provider } = await setup({ default: { fault: { status: 503 } } }, { max_retries: 0 });
    expect(((await rejection(provider.generate(request()))) as ProviderError).kind).toBe("overloaded");
  });

  it("retries a body cut mid-way and fails with kind stream when it keeps happening", async () => {
    const { fake, provider } = await setup([{ reply: "cut", times: 1 }, { reply: { text: "whole" } }]);
    expect((await provider.generate(request())).text).toBe("whole");
    fake.script.reset().setDefault("cut");
    const error = (await rejection(provider.generate(request()))) as ProviderError;
    expect(error.kind).toBe("stream");
  });

  it("times out a slow response", async () => {
    const { provider } = await setup({ default: { text: "late" }, delayMs: 5000 });
    const error = (await rejection(provider.generate(request({ timeoutMs: 100 })))) as ProviderError;
    expect(error.kind).toBe("timeout");
  });

  it("is cancelled through the AbortSignal", async () => {
    const { fake, provider } = await setup({ default: "hang" });
    const controller = new AbortController();
    const pending = rejection(provider.generate(request({ signal: controller.signal })));
    await fake.waitForRequests(1, "/api/chat");
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
  });
});

describe("OllamaProvider.stream", () => {
  it("streams NDJSON deltas and finishes with usage", async () => {
    const { fake, provider } = await setup({ default: { text: "one two three four" } });
    const parts = await collect(provider.stream(request()));
    const deltas = parts
      .filter((part) => part.type === "text-delta")
      .map((part) => (part as { text: string }).text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe("one two three four");
    const finish = parts.at(-1);
    expect(finish?.type).toBe("finish");
    if (finish?.type === "finish") {
      expect(finish.result.text).toBe("one two three four");
      expect(finish.result.usage.outputTokens).toBe(5);
    }
    expect(parts.some((part) => part.type === "usage")).toBe(true);
    const sent = fake.lastRequest().body;
    expect(sent.stream).toBe(true);
    expect(sent.options.num_ctx).toBeGreaterThanOrEqual(2048);
  });

  it("turns an in-band error line into kind stream", async () => {
    const { provider } = await setup({ default: { streamError: "CUDA out of memory", text: "a b c d" } });
    const error = (await rejection(collect(provider.stream(request())))) as ProviderError;
    expect(error.kind).toBe("stream");
    expect(error.message).toMatch(/CUDA out of memory/);
  });

  it("fails with kind stream when the connection is cut mid-stream", async () => {
    const { provider } = await setup({ default: { cut: true, text: "a b c d e f" } });
    const seen: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const part of provider.stream(request()))
          if (part.type === "text-delta") seen.push(part.text);
      })(),
    );
    expect((error as ProviderError).kind).toBe("stream");
    expect(seen.length).toBeGreaterThan(0);
  });

  it("is cancelled mid-stream through the AbortSignal", async () => {
    const { fake, provider } = await setup({ default: "hang" });
    const controller = new AbortController();
    const pending = rejection(collect(provider.stream(request({ signal: controller.signal }))));
    await fake.waitForRequests(1, "/api/chat");
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
  });

  it("reports truncation in the stream too", async () => {
    const { provider } = await setup({ default: { text: "word ".repeat(50) } });
    const parts = await collect(provider.stream(request({ maxOutputTokens: 5 })));
    expect(parts.some((part) => part.type === "warning")).toBe(true);
    const finish = parts.at(-1);
    expect(finish?.type === "finish" && finish.result.finishReason).toBe("length");
  });
});

describe("OllamaProvider metadata", () => {
  it("lists pulled models from /api/tags", async () => {
    const { provider } = await setup();
    const models = await provider.listModels();
    expect(models.map((model) => model.id)).toEqual(["qwen2.5-coder:7b", "llama3.2:latest"]);
    expect(models[0]).toMatchObject({ parameterSize: "7.6B", quantization: "Q4_K_M", family: "qwen2" });
  });

  it("reads the context length from /api/show and the allocated one from /api/ps", async () => {
    const { provider } = await setup();
    expect(await provider.capacity("llama3.2")).toEqual({
      model: "llama3.2",
      contextLength: 131072,
      parameterCount: 3_212_749_888,
      parameterSize: "3.2B",
      quantization: "Q4_K_M",
      family: "llama",
      // Q4_K_M ≈ 0.6 bytes per parameter: what the KV-cache memory cap subtracts.
      sizeBytes: Math.round(3_212_749_888 * 0.6),
    });
    await provider.generate(request({ model: "llama3.2", numCtx: 8192 }));
    expect((await provider.capacity("llama3.2")).loadedContextLength).toBe(8192);
    expect(((await rejection(provider.capacity("nope"))) as ProviderError).kind).toBe("model_not_found");
  });

  it("reports a caller's AbortSignal.timeout on a hanging server as a timeout", async () => {
    const { provider } = await setup([
      { path: "/api/tags", reply: "hang" },
      { path: "/api/version", reply: "hang" },
    ]);
    const error = (await rejection(
      provider.listModels({ signal: AbortSignal.timeout(50) }),
    )) as ProviderError;
    expect(error.kind).toBe("timeout");
    expect(error.message).toMatch(/before the deadline/);
    expect(await provider.health({ signal: AbortSignal.timeout(50) })).toMatchObject({
      ok: false,
      reachable: false,
    });
  });

  it("checks health with /api/version", async () => {
    const { provider } = await setup();
    expect(await provider.health()).toMatchObject({ ok: true, reachable: true, version: "0.13.0" });
  });

  it("finds the server through OLLAMA_HOST given as host:port", async () => {
    fake = await startFakeOllama();
    const host = fake.url.replace("http://", "");
    expect(ollamaBaseUrl({ type: "ollama", auth: { type: "none" } }, { OLLAMA_HOST: host })).toBe(fake.url);
    expect(ollamaBaseUrl({ type: "ollama", auth: { type: "none" } }, {})).toBe("http://127.0.0.1:11434");
    const provider = new OllamaProvider(
      "env",
      { type: "ollama", auth: { type: "none" } },
      { env: { OLLAMA_HOST: host } },
    );
    expect((await provider.health()).ok).toBe(true);
    expect(provider.local).toBe(true);
  });
});
