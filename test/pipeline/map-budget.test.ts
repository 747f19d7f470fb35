import { afterEach, describe, expect, it } from "vitest";
import { plannerMapTokens } from "../../src/pipeline/prepare-plan.js";
import { createProvider } from "../../src/providers/registry.js";
import { startFakeOllama } from "../kit/index.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe("the repository map's default budget", () => {
  it("is an eighth of the planner's real context window, clamped to 1,024–8,192 tokens", async () => {
    const ollama = await startFakeOllama(undefined, {
      models: [
        { name: "small:1b", contextLength: 4096 },
        { name: "mid:7b", contextLength: 32768 },
        { name: "big:70b", contextLength: 131072 },
      ],
    });
    cleanups.push(() => ollama.close());
    const provider = createProvider(
      "local",
      { type: "ollama", base_url: ollama.url, auth: { type: "none" } },
      { env: {} },
    );
    const budget = (model: string) => plannerMapTokens({ providerName: "local", provider, model });
    expect(await budget("small:1b")).toBe(1024);
    expect(await budget("mid:7b")).toBe(4096);
    expect(await budget("big:70b")).toBe(8192);
    // A model the server does not know: the provider cannot say, so the default applies.
    expect(await budget("ghost:1b")).toBe(4096);
  });
});
