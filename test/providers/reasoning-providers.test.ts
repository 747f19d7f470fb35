/**
 * Reasoning from real server shapes (the fakes in test/kit put it where the real servers do):
 * providers return the answer in `text` and keep the reasoning in `reasoning`, streamed or not;
 * reasoning tokens are part of the output tokens.
 */
import { afterEach, describe, expect, it } from "vitest";
import { OllamaProvider } from "../../src/providers/ollama.js";
import { OpenAiCompatibleProvider } from "../../src/providers/openai-compatible.js";
import type { GenerateRequest, GenerateResult, Provider, StreamPart } from "../../src/providers/spec.js";
import {
  defaultOllamaModels,
  type FakeServer,
  instantRuntime,
  startFakeOllama,
  startFakeOpenAI,
} from "../kit/index.js";

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const thinking = 'The user wants a verdict. Maybe {"action":"accept"}? No: the loop is off by one.';
const answer = '{"action":"revise","feedback":"fix the loop","issues":[],"confidence":0.9,"sub_units":[]}';

function request(model: string, extra: Partial<GenerateRequest> = {}): GenerateRequest {
  return { model, messages: [{ role: "user", content: "Review." }], maxOutputTokens: 2048, ...extra };
}

async function streamed(provider: Provider, req: GenerateRequest): Promise<GenerateResult> {
  let result: GenerateResult | undefined;
  for await (const part of provider.stream(req) as AsyncIterable<StreamPart>)
    if (part.type === "finish") result = part.result;
  if (!result) throw new Error("no finish part");
  return result;
}

describe.each([
  ["generate", (provider: Provider, req: GenerateRequest) => provider.generate(req)],
  ["stream", streamed],
])("reasoning apart from the answer (%s)", (_mode, call) => {
  it("Ollama: a thinking model's `message.thinking`", async () => {
    const models = [
      ...defaultOllamaModels(),
      { name: "qwen3:8b", family: "qwen3", capabilities: ["completion", "thinking"] },
    ];
    const ollama = await startFakeOllama({ default: { text: answer, reasoning: thinking } }, { models });
    fake = ollama;
    const provider = new OllamaProvider(
      "local",
      { type: "ollama", base_url: ollama.url, auth: { type: "none" } },
      instantRuntime().runtime,
    );
    const result = await call(provider, request("qwen3:8b", { jsonSchema: { type: "object" } }));
    expect(result.text).toBe(answer);
    expect(result.reasoning).toBe(thinking);
    expect(result.json).toMatchObject({ action: "revise" });
    expect(result.usage.outputTokens).toBeGreaterThan(Math.ceil(answer.length / 4));
  });

  it("Ollama: a model that shows <think> inline", async () => {
    const ollama = await startFakeOllama({ default: { text: answer, reasoning: thinking } });
    fake = ollama;
    const provider = new OllamaProvider(
      "local",
      { type: "ollama", base_url: ollama.url, auth: { type: "none" } },
      instantRuntime().runtime,
    );
    const result = await call(provider, request("qwen2.5-coder:7b", { jsonSchema: { type: "object" } }));
    expect(result.text).toBe(answer);
    expect(result.reasoning).toBe(thinking);
    expect(result.json).toMatchObject({ action: "revise" });
  });

  it.each(["reasoning_content", "reasoning", "inline"] as const)(
    "OpenAI-compatible: %s",
    async (reasoningField) => {
      const openai = await startFakeOpenAI(
        { default: { text: answer, reasoning: thinking } },
        { reasoningField },
      );
      fake = openai;
      const provider = new OpenAiCompatibleProvider(
        "vllm",
        { type: "openai_compatible", base_url: openai.baseUrl, auth: { type: "none" } },
        instantRuntime().runtime,
      );
      const result = await call(
        provider,
        request("qwen2.5-coder-7b-instruct", { jsonSchema: { type: "object" } }),
      );
      expect(result.text).toBe(answer);
      expect(result.reasoning).toBe(thinking);
      expect(result.json).toMatchObject({ action: "revise" });
    },
  );
});

describe("Ollama's think option", () => {
  it("is sent only for a model whose /api/show lists the thinking capability", async () => {
    const models = [
      ...defaultOllamaModels(),
      { name: "qwen3:8b", family: "qwen3", capabilities: ["completion", "thinking"] },
    ];
    const ollama = await startFakeOllama({ default: { text: "ok", reasoning: "hmm" } }, { models });
    fake = ollama;
    const provider = new OllamaProvider(
      "local",
      { type: "ollama", base_url: ollama.url, auth: { type: "none" } },
      instantRuntime().runtime,
    );
    await provider.capacity("qwen3:8b");
    await provider.capacity("qwen2.5-coder:7b");
    const thinker = await provider.generate(request("qwen3:8b"));
    const plain = await provider.generate(request("qwen2.5-coder:7b"));
    const bodies = ollama.requestsTo("/api/chat").map((recorded) => recorded.body as { think?: boolean });
    expect(bodies.map((body) => body.think)).toEqual([true, undefined]);
    expect([thinker.text, thinker.reasoning]).toEqual(["ok", "hmm"]);
    expect([plain.text, plain.reasoning]).toEqual(["ok", "hmm"]);
  });
});
