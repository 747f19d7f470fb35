/** The fake OpenAI-compatible server must behave like protocols.md §4 says real ones do. */
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOpenAi, startFakeOpenAI, type WireJson } from "../kit/index.js";

let fake: FakeOpenAi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const chat = {
  model: "qwen2.5-coder-7b-instruct",
  messages: [{ role: "user", content: "hi" }],
  max_tokens: 50,
};

function post(body: unknown): Promise<Response> {
  return fetch(`${fake?.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

function json(response: Response): Promise<WireJson> {
  return response.json();
}

describe("fake OpenAI-compatible server", () => {
  it("answers with a chat.completion object", async () => {
    fake = await startFakeOpenAI({ default: { text: "Hello" } });
    const body = await json(await post(chat));
    expect(body).toMatchObject({
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: "Hello" }, finish_reason: "stop" }],
      usage: { completion_tokens: 2, prompt_tokens_details: { cached_tokens: 0 } },
    });
  });

  it("streams chunks; with include_usage the last chunk has choices [] and usage, then [DONE]", async () => {
    fake = await startFakeOpenAI({ default: { text: "a b" } });
    const response = await post({ ...chat, stream: true, stream_options: { include_usage: true } });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const datas = (await response.text())
      .trim()
      .split("\n\n")
      .map((block) => block.replace(/^data: /, ""));
    expect(datas.at(-1)).toBe("[DONE]");
    const chunks = datas.slice(0, -1).map((data) => JSON.parse(data));
    expect(chunks.every((chunk) => chunk.object === "chat.completion.chunk")).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 1 } });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
  });

  it("streams without a usage chunk when include_usage is not asked for", async () => {
    fake = await startFakeOpenAI({ default: { text: "a b" } });
    const text = await (await post({ ...chat, stream: true })).text();
    expect(text).not.toContain('"usage"');
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
  });

  it("serves /v1/models with max_model_len and both error shapes", async () => {
    fake = await startFakeOpenAI(undefined, { errorShape: "vllm" });
    const models = await json(await fetch(`${fake.baseUrl}/models`));
    expect(models.object).toBe("list");
    expect(models.data[0]).toMatchObject({
      id: "qwen2.5-coder-7b-instruct",
      object: "model",
      max_model_len: 32768,
    });
    const missing = await post({ ...chat, model: "x" });
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ object: "error", code: 404 });
    await fake.close();
    fake = await startFakeOpenAI(undefined, { apiKey: "k" });
    const unauthorized = await post(chat);
    expect(unauthorized.status).toBe(401);
    expect(await json(unauthorized)).toMatchObject({
      error: { code: "invalid_api_key", type: "invalid_request_error" },
    });
  });
});
