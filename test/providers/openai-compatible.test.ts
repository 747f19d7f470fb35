import { afterEach, describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/config/schema.js";
import { AbortError, type ProviderError } from "../../src/errors.js";
import { OpenAiCompatibleProvider, openAiUsage } from "../../src/providers/openai-compatible.js";
import type { GenerateRequest, StreamPart } from "../../src/providers/spec.js";
import { type FakeOpenAi, type FakeOpenAiOptions, instantRuntime, startFakeOpenAI } from "../kit/index.js";

let fake: FakeOpenAi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function request(extra: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    model: "qwen2.5-coder-7b-instruct",
    system: "You write code.",
    messages: [{ role: "user", content: "Write it." }],
    maxOutputTokens: 256,
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
  script?: Parameters<typeof startFakeOpenAI>[0],
  fakeOptions: FakeOpenAiOptions = {},
  extra: Partial<ProviderConfig> = {},
  env: Record<string, string> = {},
) {
  fake = await startFakeOpenAI(script, fakeOptions);
  const { runtime, sleeps } = instantRuntime(env);
  const config: ProviderConfig = {
    type: "openai_compatible",
    base_url: fake.baseUrl,
    auth: { type: "none" },
    ...extra,
  };
  return { fake, sleeps, provider: new OpenAiCompatibleProvider("vllm", config, runtime) };
}

describe("OpenAiCompatibleProvider.generate", () => {
  it("posts {base}/chat/completions with max_tokens and a bearer token from auth.env_var", async () => {
    const { fake, provider } = await setup(
      { default: { text: "code" } },
      { apiKey: "secret" },
      { auth: { type: "bearer_env", env_var: "VLLM_KEY" } },
      { VLLM_KEY: "secret" },
    );
    const result = await provider.generate(request({ cachedContext: "MAP" }));
    expect(result).toMatchObject({
      text: "code",
      finishReason: "stop",
      modelId: "qwen2.5-coder-7b-instruct",
      warnings: [],
    });
    const sent = fake.lastRequest("/v1/chat/completions");
    expect(sent.headers.authorization).toBe("Bearer secret");
    expect(sent.body).toEqual({
      model: "qwen2.5-coder-7b-instruct",
      messages: [
        { role: "system", content: "You write code.\n\nMAP" },
        { role: "user", content: "Write it." },
      ],
      max_tokens: 256,
    });
    expect(provider.local).toBe(true);
  });

  it("asks for json_schema (strict, named) and parses the answer", async () => {
    const schema = { type: "object", properties: { verdict: { type: "string" } } };
    const { fake, provider } = await setup({ default: { json: { verdict: "accept" } } });
    const result = await provider.generate(request({ jsonSchema: schema, schemaName: "review" }));
    expect(result.json).toEqual({ verdict: "accept" });
    expect(fake.lastRequest().body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "review", schema, strict: true },
    });
  });

  it("falls back once to json_object, with the schema in the prompt, when json_schema is rejected", async () => {
    const schema = { type: "object", properties: { verdict: { type: "string" } } };
    const { fake, provider } = await setup(
      { default: { json: { verdict: "revise" } } },
      { rejectJsonSchema: true },
    );
    const result = await provider.generate(request({ jsonSchema: schema }));
    expect(result.json).toEqual({ verdict: "revise" });
    expect(result.warnings.join()).toMatch(/json_object/);
    const sent = fake.requestsTo("/v1/chat/completions");
    expect(sent).toHaveLength(2);
    expect(sent[1]?.body.response_format).toEqual({ type: "json_object" });
    expect(sent[1]?.body.messages[0].content).toContain(JSON.stringify(schema));
  });

  it("remembers the adaptations per model: json_object and max_completion_tokens", async () => {
    const { fake, provider } = await setup(
      { default: { json: { ok: 1 } } },
      { rejectJsonSchema: true, requireMaxCompletionTokens: true },
    );
    const first = await provider.generate(request({ jsonSchema: { type: "object" } }));
    expect(first.json).toEqual({ ok: 1 });
    expect(fake.requestsTo("/v1/chat/completions")).toHaveLength(3);
    const second = await provider.generate(request({ jsonSchema: { type: "object" } }));
    expect(second.warnings.join()).toMatch(/json_object/);
    const calls = fake.requestsTo("/v1/chat/completions");
    expect(calls).toHaveLength(4);
    expect(calls[3]?.body).toMatchObject({
      max_completion_tokens: 256,
      response_format: { type: "json_object" },
    });
    expect(calls[3]?.body.max_tokens).toBeUndefined();
  });

  it("computes usage: prompt_tokens includes cached_tokens", async () => {
    const { provider } = await setup({
      default: { text: "x", usage: { inputTokens: 30, cacheReadTokens: 70, outputTokens: 4 } },
    });
    expect((await provider.generate(request())).usage).toEqual({
      inputTokens: 30,
      outputTokens: 4,
      cacheReadTokens: 70,
      cacheWriteTokens: 0,
    });
    expect(
      openAiUsage({ prompt_tokens: 100, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 60 } }),
    ).toEqual({
      inputTokens: 40,
      outputTokens: 5,
      cacheReadTokens: 60,
      cacheWriteTokens: 0,
    });
    expect(
      openAiUsage({ prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: null }),
    ).toMatchObject({ inputTokens: 10 });
  });

  it("reports finish_reason length as truncation", async () => {
    const { provider } = await setup({ default: { text: "word ".repeat(100) } });
    const result = await provider.generate(request({ maxOutputTokens: 5 }));
    expect(result.finishReason).toBe("length");
    expect(result.warnings.join()).toMatch(/truncated/);
  });
});

describe("OpenAiCompatibleProvider faults", () => {
  it("fails with auth when the bearer env var is missing, and on 401", async () => {
    const { provider, fake } = await setup(
      undefined,
      { apiKey: "secret" },
      { auth: { type: "bearer_env", env_var: "VLLM_KEY" } },
    );
    const missing = (await rejection(provider.generate(request()))) as ProviderError;
    expect(missing.kind).toBe("auth");
    expect(missing.hint).toMatch(/VLLM_KEY/);
    expect(fake.requests).toHaveLength(0);
    const wrong = new OpenAiCompatibleProvider(
      "vllm",
      {
        type: "openai_compatible",
        base_url: fake.baseUrl,
        auth: { type: "bearer_env", env_var: "VLLM_KEY" },
      },
      { env: { VLLM_KEY: "nope" } },
    );
    const error = (await rejection(wrong.generate(request()))) as ProviderError;
    expect(error.kind).toBe("auth");
    expect(error.status).toBe(401);
    expect(await wrong.health()).toMatchObject({ ok: false, reachable: true, authenticated: false });
  });

  it("maps 404 model_not_found, in both error shapes", async () => {
    const { provider } = await setup();
    const error = (await rejection(provider.generate(request({ model: "nope" })))) as ProviderError;
    expect(error.kind).toBe("model_not_found");
    expect(error.message).toMatch(/does not exist/);
    await fake?.close();
    const vllm = await setup(undefined, { errorShape: "vllm" });
    const old = (await rejection(vllm.provider.generate(request({ model: "nope" })))) as ProviderError;
    expect(old.kind).toBe("model_not_found");
    expect(old.message).toMatch(/does not exist/);
  });

  it("retries 429 after retry-after, then succeeds", async () => {
    const { provider, sleeps } = await setup([
      { reply: { fault: { status: 429, headers: { "retry-after": "1.5" } } }, times: 1 },
      { reply: { text: "fine" } },
    ]);
    expect((await provider.generate(request())).text).toBe("fine");
    expect(sleeps).toEqual([1500]);
  });

  it("maps 500 to server (after retries) and 503 to overloaded", async () => {
    const { fake, provider } = await setup({ default: { fault: { status: 500 } } }, {}, { max_retries: 1 });
    expect(((await rejection(provider.generate(request()))) as ProviderError).kind).toBe("server");
    expect(fake.requestsTo("/v1/chat/completions")).toHaveLength(2);
    fake.script.setDefault({ fault: { status: 503 } });
    expect(((await rejection(provider.generate(request()))) as ProviderError).kind).toBe("overloaded");
    fake.script.setDefault({ fault: { status: 529 } });
    expect(((await rejection(provider.generate(request()))) as ProviderError).kind).toBe("overloaded");
  });

  it("does not retry a 400 other than the schema fallback", async () => {
    const { fake, provider } = await setup({
      default: { fault: { status: 400, body: { error: { message: "bad temperature" } } } },
    });
    expect(((await rejection(provider.generate(request()))) as ProviderError).kind).toBe("bad_request");
    expect(fake.requestsTo("/v1/chat/completions")).toHaveLength(1);
  });

  it("times out and is cancelled", async () => {
    const { fake, provider } = await setup({ default: { text: "slow" }, delayMs: 5000 });
    expect(((await rejection(provider.generate(request({ timeoutMs: 100 })))) as ProviderError).kind).toBe(
      "timeout",
    );
    fake.script.setDefault("hang");
    const controller = new AbortController();
    const pending = rejection(collect(provider.stream(request({ signal: controller.signal }))));
    await fake.waitForRequests(2, "/v1/chat/completions");
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
  });
});

describe("OpenAiCompatibleProvider.stream", () => {
  it("streams chunks with include_usage and ends at [DONE]", async () => {
    const { fake, provider } = await setup({
      default: { text: "alpha beta gamma", usage: { inputTokens: 20, cacheReadTokens: 5 } },
    });
    const parts = await collect(provider.stream(request()));
    expect(parts.map((part) => (part.type === "text-delta" ? part.text : "")).join("")).toBe(
      "alpha beta gamma",
    );
    const finish = parts.at(-1);
    expect(finish?.type).toBe("finish");
    if (finish?.type === "finish") {
      expect(finish.result.usage).toEqual({
        inputTokens: 20,
        outputTokens: 4,
        cacheReadTokens: 5,
        cacheWriteTokens: 0,
      });
      expect(finish.result.finishReason).toBe("stop");
    }
    expect(fake.lastRequest().body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("fails with kind stream when cut mid-way or on an in-band error chunk", async () => {
    const { fake, provider } = await setup({ default: { cut: true, text: "a b c d" } });
    expect(((await rejection(collect(provider.stream(request())))) as ProviderError).kind).toBe("stream");
    fake.script.setDefault({ streamError: "engine died", text: "a b c d" });
    const error = (await rejection(collect(provider.stream(request())))) as ProviderError;
    expect(error.kind).toBe("stream");
    expect(error.message).toMatch(/engine died/);
  });

  it("falls back to json_object when streaming too", async () => {
    const { fake, provider } = await setup({ default: { json: { a: 1 } } }, { rejectJsonSchema: true });
    const parts = await collect(provider.stream(request({ jsonSchema: { type: "object" } })));
    const finish = parts.at(-1);
    expect(finish?.type === "finish" && finish.result.json).toEqual({ a: 1 });
    expect(fake.requestsTo("/v1/chat/completions")).toHaveLength(2);
  });
});

describe("OpenAiCompatibleProvider metadata", () => {
  it("lists models with vLLM's max_model_len as the context length", async () => {
    const { provider } = await setup();
    expect(await provider.listModels()).toEqual([
      { id: "qwen2.5-coder-7b-instruct", contextLength: 32768 },
      { id: "gpt-5.4-mini" },
    ]);
    expect(await provider.capacity("qwen2.5-coder-7b-instruct")).toEqual({
      model: "qwen2.5-coder-7b-instruct",
      contextLength: 32768,
    });
    expect(((await rejection(provider.capacity("other"))) as ProviderError).kind).toBe("model_not_found");
    expect(await provider.health()).toMatchObject({ ok: true, reachable: true });
  });

  it("is not local for a public host and reports a refused connection as unavailable", async () => {
    const remote = new OpenAiCompatibleProvider(
      "groq",
      { type: "openai_compatible", base_url: "https://api.groq.com/openai/v1", auth: { type: "none" } },
      { env: {} },
    );
    expect(remote.local).toBe(false);
    const { fake, provider } = await setup();
    await fake.close();
    const error = (await rejection(provider.generate(request()))) as ProviderError;
    expect(error.kind).toBe("unavailable");
    expect(error.hint).toMatch(/\/v1/);
  });
});
