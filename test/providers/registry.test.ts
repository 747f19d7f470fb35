import { describe, expect, it } from "vitest";
import { configSchema, providerTypes } from "../../src/config/schema.js";
import { ConfigError } from "../../src/errors.js";
import { ProviderPool } from "../../src/providers/pool.js";
import { createProvider, createProviderForRole } from "../../src/providers/registry.js";

const runtime = { env: {} };

describe("createProvider", () => {
  it("builds every provider type", () => {
    for (const type of providerTypes.filter((type) => type !== "replay")) {
      const provider = createProvider(`p-${type}`, { type, auth: { type: "none" } }, runtime);
      expect(provider.type).toBe(type);
      expect(provider.name).toBe(`p-${type}`);
    }
    // A replay entry takes the recorded provider's type and locality (test/fixtures/cassettes).
    const cassette = new URL("../fixtures/cassettes/draft-ollama.jsonl", import.meta.url).pathname;
    const replay = createProvider("p-replay", { type: "replay", cassette, auth: { type: "none" } }, runtime);
    expect([replay.name, replay.type, replay.local]).toEqual(["p-replay", "ollama", true]);
    expect(() => createProvider("bare", { type: "replay", auth: { type: "none" } }, runtime)).toThrow(
      /names no cassette/,
    );
  });

  it("pools an entry with several base URLs and not one with a single-item list", () => {
    const pooled = createProvider(
      "farm",
      {
        type: "ollama",
        base_url: ["http://10.0.0.1:11434", "http://10.0.0.2:11434"],
        auth: { type: "none" },
      },
      runtime,
    );
    expect(pooled).toBeInstanceOf(ProviderPool);
    expect((pooled as ProviderPool).state().map((host) => host.url)).toEqual([
      "http://10.0.0.1:11434",
      "http://10.0.0.2:11434",
    ]);
    expect(pooled.local).toBe(true);
    const single = createProvider(
      "one",
      { type: "openai_compatible", base_url: ["http://gpu:8000/v1"], auth: { type: "none" } },
      runtime,
    );
    expect(single).not.toBeInstanceOf(ProviderPool);
    expect((single as unknown as { baseUrl: string }).baseUrl).toBe("http://gpu:8000/v1");
  });
});

describe("createProviderForRole", () => {
  const config = configSchema.parse({
    providers: { local: { type: "ollama" }, api: { type: "anthropic" } },
    routing: {
      planner: { provider: "api", model: "claude-sonnet-4-6" },
      drafter: { provider: "local", model: "qwen2.5-coder:7b" },
    },
  });

  it("returns the provider and model of a role; the reviewer falls back to the planner", () => {
    const drafter = createProviderForRole(config, "drafter", runtime);
    expect(drafter.provider.type).toBe("ollama");
    expect(drafter.model).toBe("qwen2.5-coder:7b");
    const reviewer = createProviderForRole(config, "reviewer", runtime);
    expect(reviewer.provider.type).toBe("anthropic");
    expect(reviewer.binding.inherited).toBe(true);
  });

  it("throws a ConfigError with an init --wizard hint when the role is unbound", () => {
    const empty = configSchema.parse({});
    expect(() => createProviderForRole(empty, "planner", runtime)).toThrow(ConfigError);
    try {
      createProviderForRole(empty, "planner", runtime);
    } catch (error) {
      expect((error as ConfigError).hint).toMatch(/run hierocode init --wizard/);
    }
  });
});
