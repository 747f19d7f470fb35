import { afterEach, describe, expect, it } from "vitest";
import type { ProviderError } from "../../src/errors.js";
import { defaultLmStudioUrl, LmStudioProvider, lmStudioBaseUrl } from "../../src/providers/lmstudio.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/index.js";

let fake: FakeOpenAi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe("LmStudioProvider", () => {
  it("defaults to http://localhost:1234/v1, or LMSTUDIO_HOST with /v1 added", () => {
    expect(lmStudioBaseUrl({})).toBe(defaultLmStudioUrl);
    expect(defaultLmStudioUrl).toBe("http://localhost:1234/v1");
    expect(lmStudioBaseUrl({ LMSTUDIO_HOST: "192.168.1.5:1234" })).toBe("http://192.168.1.5:1234/v1");
    expect(lmStudioBaseUrl({ LMSTUDIO_HOST: "http://box:9000/v1" })).toBe("http://box:9000/v1");
    const provider = new LmStudioProvider("lms", { type: "lmstudio", auth: { type: "none" } }, { env: {} });
    expect(provider.baseUrl).toBe(defaultLmStudioUrl);
    expect(provider.type).toBe("lmstudio");
    expect(provider.local).toBe(true);
  });

  it("talks to an LM Studio-like server found through LMSTUDIO_HOST", async () => {
    fake = await startFakeOpenAI(
      { default: { text: "from lm studio" } },
      { models: [{ id: "qwen2.5-coder-7b-instruct" }] },
    );
    const provider = new LmStudioProvider(
      "lms",
      { type: "lmstudio", auth: { type: "none" } },
      { env: { LMSTUDIO_HOST: fake.url } },
    );
    expect((await provider.listModels()).map((model) => model.id)).toEqual(["qwen2.5-coder-7b-instruct"]);
    const result = await provider.generate({
      model: "qwen2.5-coder-7b-instruct",
      messages: [{ role: "user", content: "hi" }],
      maxOutputTokens: 50,
    });
    expect(result.text).toBe("from lm studio");
    expect(fake.lastRequest().path).toBe("/v1/chat/completions");
    expect(fake.lastRequest().headers.authorization).toBeUndefined();
  });

  it("names LM Studio in the hint when nothing listens", async () => {
    fake = await startFakeOpenAI();
    const url = fake.baseUrl;
    await fake.close();
    fake = undefined;
    const provider = new LmStudioProvider(
      "lms",
      { type: "lmstudio", base_url: url, auth: { type: "none" } },
      { env: {} },
    );
    const health = await provider.health();
    expect(health).toMatchObject({ ok: false, reachable: false });
    expect(health.hint).toMatch(/LM Studio/);
    const error = await provider.listModels().catch((caught: unknown) => caught as ProviderError);
    expect((error as ProviderError).kind).toBe("unavailable");
  });
});
