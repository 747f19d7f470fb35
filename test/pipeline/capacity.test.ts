import { describe, expect, it } from "vitest";
import { profileFromCapacity } from "../../src/pipeline/capacity.js";

const GiB = 1024 ** 3;
const big = { totalRamBytes: 64 * GiB, vramBytes: 0 };

describe("profileFromCapacity", () => {
  it.each([
    ["llama3.2:1b", { parameterSize: "1.2B", contextLength: 131072 }, big, "micro", 32768],
    ["llama3.2:3b", { parameterSize: "3.2B", contextLength: 131072 }, big, "narrow", 32768],
    ["qwen2.5-coder:7b", { parameterSize: "7.6B", contextLength: 32768 }, big, "standard", 32768],
    ["qwen2.5-coder:14b", { parameterSize: "14.8B", contextLength: 32768 }, big, "capable", 32768],
    ["qwen2.5-coder:32b", { parameterSize: "32.8B", contextLength: 32768 }, big, "strong", 32768],
    [
      "7b on 8 GB",
      { parameterSize: "7.6B", contextLength: 32768 },
      { totalRamBytes: 8 * GiB, vramBytes: 0 },
      "standard",
      8192,
    ],
    ["32b with a 2k window", { parameterSize: "32B", contextLength: 2048 }, big, "micro", 2048],
  ])("%s → %s", (model, capacity, memory, tier, numCtx) => {
    const profile = profileFromCapacity({ model, ...capacity }, { provider: "ollama", local: true, memory });
    expect(profile.tier).toBe(tier);
    expect(profile.numCtx).toBe(numCtx);
    expect(profile.maxInputTokens + profile.maxOutputTokens).toBeLessThanOrEqual(profile.numCtx);
  });

  it("budgets against num_ctx with a margin for approximate counting", () => {
    const rough = profileFromCapacity(
      { model: "m", parameterSize: "7B", contextLength: 8192 },
      { provider: "o", local: true, memory: big },
    );
    const exact = profileFromCapacity(
      { model: "m", parameterSize: "7B", contextLength: 8192 },
      { provider: "o", local: true, memory: big, exactTokens: true },
    );
    expect(rough.maxInputTokens).toBe(Math.floor((8192 - 2048) * 0.8));
    expect(exact.maxInputTokens).toBeGreaterThan(rough.maxInputTokens);
  });

  it("assumes a small window when the server says nothing, and notes it", () => {
    const profile = profileFromCapacity({ model: "m" }, { provider: "o", local: true, memory: big });
    expect(profile.numCtx).toBe(8192);
    expect(profile.notes.join()).toMatch(/did not report/);
  });

  it("treats remote drafters by their served window", () => {
    const profile = profileFromCapacity(
      { model: "m", contextLength: 65536 },
      { provider: "vllm", local: false, memory: big },
    );
    expect(profile.numCtx).toBe(65536);
    expect(profile.tier).toBe("strong");
  });
});
