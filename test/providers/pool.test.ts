import { afterEach, describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/config/schema.js";
import type { ProviderError } from "../../src/errors.js";
import { OllamaProvider } from "../../src/providers/ollama.js";
import { ProviderPool } from "../../src/providers/pool.js";
import type { GenerateRequest, StreamPart } from "../../src/providers/spec.js";
import { type FakeOllama, startFakeOllama } from "../kit/index.js";

const fakes: FakeOllama[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function fakeHost(script?: Parameters<typeof startFakeOllama>[0]): Promise<FakeOllama> {
  const fake = await startFakeOllama(script);
  fakes.push(fake);
  return fake;
}

/** A URL where nothing listens (a fake that was started and closed). */
async function deadUrl(): Promise<string> {
  const fake = await startFakeOllama();
  await fake.close();
  return fake.url;
}

function pool(urls: string[], now?: () => number): ProviderPool {
  const hosts = urls.map((url) => {
    const config: ProviderConfig = { type: "ollama", base_url: url, auth: { type: "none" }, max_retries: 0 };
    return { url, provider: new OllamaProvider("farm", config, { env: {} }) };
  });
  return new ProviderPool("farm", "ollama", hosts, { cooldownMs: 30_000, ...(now ? { now } : {}) });
}

const request = (extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  model: "qwen2.5-coder:7b",
  messages: [{ role: "user", content: "hi" }],
  maxOutputTokens: 20,
  ...extra,
});

describe("ProviderPool", () => {
  it("sends a call to the least-busy host", async () => {
    const busy = await fakeHost({ default: "hang" });
    const idle = await fakeHost({ default: { text: "from idle" } });
    const farm = pool([busy.url, idle.url]);
    const controller = new AbortController();
    const first = farm.generate(request({ signal: controller.signal })).catch((error: unknown) => error);
    await busy.waitForRequests(1, "/api/chat");
    expect(farm.state().map((host) => host.inFlight)).toEqual([1, 0]);
    expect((await farm.generate(request())).text).toBe("from idle");
    controller.abort();
    await first;
    expect(busy.requestsTo("/api/chat")).toHaveLength(1);
    expect(idle.requestsTo("/api/chat")).toHaveLength(1);
    expect(farm.state().map((host) => host.inFlight)).toEqual([0, 0]);
  });

  it("spreads sequential calls over equally idle hosts", async () => {
    const a = await fakeHost();
    const b = await fakeHost();
    const farm = pool([a.url, b.url]);
    for (let index = 0; index < 4; index += 1) await farm.generate(request());
    expect(a.requestsTo("/api/chat")).toHaveLength(2);
    expect(b.requestsTo("/api/chat")).toHaveLength(2);
  });

  it("fails over from a host that is down and skips it during the cooldown", async () => {
    let clock = 1_000_000;
    const dead = await deadUrl();
    const live = await fakeHost({ default: { text: "alive" } });
    const farm = pool([dead, live.url], () => clock);
    expect((await farm.generate(request())).text).toBe("alive");
    const state = farm.state()[0];
    expect(state?.downUntil).toBe(clock + 30_000);
    expect(state?.lastError).toMatch(/cannot connect/);
    // During the cooldown the live host is first even though it has served more calls.
    await farm.generate(request());
    expect(live.requestsTo("/api/chat")).toHaveLength(2);
    clock += 31_000;
    await farm.generate(request());
    expect(farm.state()[0]?.downUntil).toBe(clock + 30_000);
  });

  it("fails with unavailable naming every host when all are down", async () => {
    const farm = pool([await deadUrl(), await deadUrl()]);
    const error = (await farm.generate(request()).catch((caught: unknown) => caught)) as ProviderError;
    expect(error.kind).toBe("unavailable");
    expect(error.message).toMatch(/no host of the pool/);
    expect(error.hint).toMatch(/ollama serve/);
  });

  it("does not fail over on errors that would repeat on any host", async () => {
    const a = await fakeHost();
    const b = await fakeHost();
    const farm = pool([a.url, b.url]);
    const error = (await farm
      .generate(request({ model: "missing:1b" }))
      .catch((caught: unknown) => caught)) as ProviderError;
    expect(error.kind).toBe("model_not_found");
    expect(b.requests).toHaveLength(0);
  });

  it("fails over a stream before its first part", async () => {
    const live = await fakeHost({ default: { text: "streamed text" } });
    const farm = pool([await deadUrl(), live.url]);
    const parts: StreamPart[] = [];
    for await (const part of farm.stream(request())) parts.push(part);
    expect(parts.at(-1)?.type).toBe("finish");
  });

  it("reports health per host", async () => {
    const live = await fakeHost();
    const dead = await deadUrl();
    const farm = pool([live.url, dead]);
    const hosts = await farm.hostHealth();
    expect(hosts.map((host) => [host.url, host.status.ok, host.down])).toEqual([
      [live.url, true, false],
      [dead, false, true],
    ]);
    const health = await farm.health();
    expect(health.ok).toBe(true);
    expect(health.message).toMatch(/^1\/2 hosts up/);
    expect(health.version).toBe("0.13.0");
    expect(farm.local).toBe(true);
    expect((await farm.listModels()).length).toBe(2);
  });
});
