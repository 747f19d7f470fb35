import { afterEach, describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/config/schema.js";
import { AbortError, type ProviderError } from "../../src/errors.js";
import { AnthropicProvider, anthropicSystemBlocks, anthropicUsage } from "../../src/providers/anthropic.js";
import type { GenerateRequest, StreamPart } from "../../src/providers/spec.js";
import { type FakeAnthropic, instantRuntime, startFakeAnthropic } from "../kit/index.js";

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const key = "sk-ant-test-key";

function request(extra: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    model: "claude-sonnet-4-6",
    system: "You plan coding work.",
    messages: [{ role: "user", content: "Plan the task." }],
    maxOutputTokens: 1024,
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

async function setup(
  script?: Parameters<typeof startFakeAnthropic>[0],
  extra: Partial<ProviderConfig> = {},
  env: Record<string, string> = { ANTHROPIC_API_KEY: key },
) {
  fake = await startFakeAnthropic(script, { apiKey: key });
  const { runtime, sleeps } = instantRuntime(env);
  const config: ProviderConfig = { type: "anthropic", base_url: fake.url, auth: { type: "none" }, ...extra };
  return { fake, sleeps, provider: new AnthropicProvider("api", config, runtime) };
}

describe("AnthropicProvider.generate", () => {
  it("posts /v1/messages with x-api-key and the pinned anthropic-version", async () => {
    const { fake, provider } = await setup({ default: { text: "1. do it" } });
    const result = await provider.generate(request({ temperature: 0 }));
    expect(result).toMatchObject({
      text: "1. do it",
      finishReason: "stop",
      modelId: "claude-sonnet-4-6",
      warnings: [],
    });
    const sent = fake.lastRequest("/v1/messages");
    expect(sent.headers["x-api-key"]).toBe(key);
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent.body).toMatchObject({
      model: "claude-sonnet-4-6",
      max_tokens: 1024,
      temperature: 0,
      system: [{ type: "text", text: "You plan coding work." }],
      messages: [{ role: "user", content: "Plan the task." }],
    });
    expect(sent.body.system[0].cache_control).toBeUndefined();
    expect(sent.body.stream).toBeUndefined();
  });

  it("reads the key from the configured env var and the version from config; drops temperature on 2026-10-21", async () => {
    const { fake, provider } = await setup(
      undefined,
      { auth: { type: "bearer_env", env_var: "MY_KEY" }, anthropic_version: "2026-10-21" },
      { MY_KEY: key },
    );
    const result = await provider.generate(request({ temperature: 0.3 }));
    const sent = fake.lastRequest("/v1/messages");
    expect(sent.headers["anthropic-version"]).toBe("2026-10-21");
    expect(sent.body.temperature).toBeUndefined();
    expect(result.warnings.join()).toMatch(/temperature/);
  });

  it("asks for structured output through output_config.format and parses the JSON", async () => {
    const schema = { type: "object", properties: { units: { type: "array" } } };
    const { fake, provider } = await setup({ default: { json: { units: [1, 2] } } });
    const result = await provider.generate(request({ jsonSchema: schema }));
    expect(result.json).toEqual({ units: [1, 2] });
    expect(fake.lastRequest().body.output_config).toEqual({ format: { type: "json_schema", schema } });
  });

  it("marks the stable prefix for caching when it is big enough, and maps cache usage", async () => {
    const { fake, provider } = await setup();
    const repoMap = "src/file.ts: export function f()\n".repeat(200);
    const first = await provider.generate(request({ cachedContext: repoMap }));
    const system = fake.lastRequest().body.system;
    expect(system).toHaveLength(2);
    expect(system[0].cache_control).toBeUndefined();
    expect(system[1]).toEqual({ type: "text", text: repoMap, cache_control: { type: "ephemeral" } });
    expect(first.usage.cacheWriteTokens).toBeGreaterThan(1000);
    expect(first.usage.cacheReadTokens).toBe(0);
    const second = await provider.generate(request({ cachedContext: repoMap }));
    expect(second.usage.cacheReadTokens).toBe(first.usage.cacheWriteTokens);
    expect(second.usage.cacheWriteTokens).toBe(0);
    // input_tokens excludes the cache: what is left is the small uncached tail.
    expect(second.usage.inputTokens).toBeLessThan(50);
  });

  it("maps usage per protocols.md: input_tokens excludes cache tokens, nulls count as 0", () => {
    expect(
      anthropicUsage({
        input_tokens: 12,
        output_tokens: 5,
        cache_creation_input_tokens: 100,
        cache_read_input_tokens: 2000,
      }),
    ).toEqual({ inputTokens: 12, outputTokens: 5, cacheReadTokens: 2000, cacheWriteTokens: 100 });
    expect(anthropicUsage({ input_tokens: 3, output_tokens: 1, cache_creation_input_tokens: null })).toEqual({
      inputTokens: 3,
      outputTokens: 1,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    expect(anthropicSystemBlocks(request({ system: "" }))).toBeUndefined();
  });

  it("reports max_tokens as truncation", async () => {
    const { provider } = await setup({ default: { text: "word ".repeat(100) } });
    const result = await provider.generate(request({ maxOutputTokens: 8 }));
    expect(result.finishReason).toBe("length");
    expect(result.warnings.join()).toMatch(/truncated/);
  });

  it("passes scripted usage overrides through", async () => {
    const { provider } = await setup({
      default: {
        text: "x",
        usage: { inputTokens: 7, cacheReadTokens: 900, cacheWriteTokens: 50, outputTokens: 2 },
      },
    });
    expect((await provider.generate(request())).usage).toEqual({
      inputTokens: 7,
      outputTokens: 2,
      cacheReadTokens: 900,
      cacheWriteTokens: 50,
    });
  });
});

describe("AnthropicProvider faults", () => {
  it("fails with kind auth and a hint when the key is missing, without calling the API", async () => {
    const { fake, provider } = await setup(undefined, {}, {});
    const error = (await rejection(provider.generate(request()))) as ProviderError;
    expect(error.kind).toBe("auth");
    expect(error.hint).toMatch(/ANTHROPIC_API_KEY/);
    expect(fake.requests).toHaveLength(0);
    expect(await provider.health()).toMatchObject({ ok: false, authenticated: false });
  });

  it("maps 401 to auth", async () => {
    const { provider } = await setup(undefined, {}, { ANTHROPIC_API_KEY: "wrong" });
    const error = (await rejection(provider.generate(request()))) as ProviderError;
    expect(error.kind).toBe("auth");
    expect(error.status).toBe(401);
    expect(await provider.health()).toMatchObject({ ok: false, reachable: true, authenticated: false });
  });

  it("maps 404 not_found_error on a model to model_not_found", async () => {
    const { provider } = await setup();
    const error = (await rejection(provider.generate(request({ model: "claude-nope" })))) as ProviderError;
    expect(error.kind).toBe("model_not_found");
    expect(error.details?.requestId).toMatch(/^req_/);
  });

  it("retries 429 honouring retry-after (seconds), then succeeds", async () => {
    const { fake, provider, sleeps } = await setup([
      { reply: { fault: { status: 429, headers: { "retry-after": "3" } } }, times: 1 },
      { reply: { text: "after the wait" } },
    ]);
    expect((await provider.generate(request())).text).toBe("after the wait");
    expect(sleeps).toEqual([3000]);
    expect(fake.requestsTo("/v1/messages")).toHaveLength(2);
  });

  it("prefers retry-after-ms and obeys x-should-retry: false", async () => {
    const { fake, provider, sleeps } = await setup([
      {
        reply: { fault: { status: 529, headers: { "retry-after-ms": "250", "retry-after": "9" } } },
        times: 1,
      },
      { reply: { fault: { status: 500, headers: { "x-should-retry": "false" } } }, times: 1 },
    ]);
    const error = (await rejection(provider.generate(request()))) as ProviderError;
    expect(sleeps).toEqual([250]);
    expect(error.kind).toBe("server");
    expect(fake.requestsTo("/v1/messages")).toHaveLength(2);
  });

  it("gives up on 529 after max_retries with kind overloaded, using backoff", async () => {
    const { fake, provider, sleeps } = await setup(
      { default: { fault: { status: 529 } } },
      { max_retries: 3 },
    );
    const error = (await rejection(provider.generate(request()))) as ProviderError;
    expect(error.kind).toBe("overloaded");
    expect(fake.requestsTo("/v1/messages")).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] ?? 0);
  });

  it("maps 500 to server after retrying", async () => {
    const { fake, provider } = await setup({ default: { fault: { status: 500 } } });
    expect(((await rejection(provider.generate(request()))) as ProviderError).kind).toBe("server");
    expect(fake.requestsTo("/v1/messages")).toHaveLength(3);
  });

  it("times out a slow response and is cancelled by the AbortSignal", async () => {
    const { fake, provider } = await setup({ default: { text: "late" }, delayMs: 5000 });
    expect(((await rejection(provider.generate(request({ timeoutMs: 100 })))) as ProviderError).kind).toBe(
      "timeout",
    );
    fake.script.setDefault("hang");
    const controller = new AbortController();
    const pending = rejection(provider.generate(request({ signal: controller.signal })));
    await fake.waitForRequests(2, "/v1/messages");
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
  });
});

describe("AnthropicProvider.stream", () => {
  it("assembles text deltas and takes the cumulative usage from message_delta", async () => {
    const { fake, provider } = await setup({ default: { text: "step one then step two" } });
    const parts = await collect(provider.stream(request()));
    const text = parts.map((part) => (part.type === "text-delta" ? part.text : "")).join("");
    expect(text).toBe("step one then step two");
    const finish = parts.at(-1);
    expect(finish?.type).toBe("finish");
    if (finish?.type === "finish") {
      expect(finish.result.usage.outputTokens).toBe(6);
      expect(finish.result.finishReason).toBe("stop");
      expect(finish.result.modelId).toBe("claude-sonnet-4-6");
    }
    expect(fake.lastRequest().body.stream).toBe(true);
  });

  it("turns `event: error` into overloaded and a cut stream into kind stream", async () => {
    const { fake, provider } = await setup({ default: { streamError: "Overloaded", text: "a b c d" } });
    expect(((await rejection(collect(provider.stream(request())))) as ProviderError).kind).toBe("overloaded");
    fake.script.setDefault({ cut: true, text: "a b c d" });
    expect(((await rejection(collect(provider.stream(request())))) as ProviderError).kind).toBe("stream");
  });

  it("is cancelled mid-stream through the AbortSignal", async () => {
    const { fake, provider } = await setup({ default: "hang" });
    const controller = new AbortController();
    const pending = rejection(collect(provider.stream(request({ signal: controller.signal }))));
    await fake.waitForRequests(1, "/v1/messages");
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
  });

  it("retries a 429 before the stream starts", async () => {
    const { provider, sleeps } = await setup([
      { reply: { fault: { status: 429, headers: { "retry-after": "1" } } }, times: 1 },
      { reply: { text: "ok now" } },
    ]);
    const parts = await collect(provider.stream(request()));
    expect(parts.at(-1)?.type).toBe("finish");
    expect(sleeps).toEqual([1000]);
  });
});

describe("AnthropicProvider metadata", () => {
  it("counts tokens, lists models and checks health without paid calls", async () => {
    const { fake, provider } = await setup();
    expect(await provider.countTokens(request())).toBeGreaterThan(0);
    const models = await provider.listModels();
    expect(models.map((model) => model.id)).toContain("claude-opus-4-8");
    expect(models[0]?.contextLength).toBe(200_000);
    expect(await provider.health()).toMatchObject({ ok: true, reachable: true, authenticated: true });
    expect((await provider.capacity("claude-sonnet-4-6")).contextLength).toBe(200_000);
    expect(fake.requestsTo("/v1/messages")).toHaveLength(0);
  });

  it("pages through /v1/models", async () => {
    fake = await startFakeAnthropic(undefined, {
      models: Array.from({ length: 1203 }, (_, index) => ({ id: `claude-m-${index}` })),
    });
    const provider = new AnthropicProvider(
      "api",
      { type: "anthropic", base_url: fake.url, auth: { type: "none" } },
      { env: { ANTHROPIC_API_KEY: "k" } },
    );
    expect(await provider.listModels()).toHaveLength(1203);
    expect(fake.requestsTo("/v1/models")).toHaveLength(2);
  });
});
