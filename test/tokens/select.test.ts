import { describe, expect, it } from "vitest";
import type { Provider } from "../../src/providers/spec.js";
import { countTokensExact, estimateTokens, tokenCounterFor } from "../../src/tokens/index.js";

describe("tokenCounterFor", () => {
  const table: Array<[model: string, family: string | undefined, name: string, exact: boolean]> = [
    ["llama3.1:8b", undefined, "llama3", true],
    ["llama3.2", "llama", "llama3", true],
    ["qwen2.5-coder:7b", undefined, "qwen", true],
    ["qwen3:14b", undefined, "qwen", true],
    ["deepseek-coder-v2:16b", undefined, "deepseek_v3", true],
    ["deepseek-r1:7b", "qwen2", "qwen", true],
    ["deepseek-r1:8b", "llama", "llama3", true],
    ["gemma3:12b", undefined, "gemma3", true],
    ["mistral:7b", undefined, "mistral_v3", true],
    ["codestral:22b", undefined, "mistral_v3", true],
    ["mistral-nemo", undefined, "mistral_tekken", true],
    ["mixtral:8x7b", undefined, "mistral_v1", true],
    ["gpt-4o-mini", undefined, "o200k_base", true],
    ["gpt-5-codex", undefined, "o200k_base", true],
    ["o3-mini", undefined, "o200k_base", true],
    ["gpt-4-turbo", undefined, "cl100k_base", true],
    ["my-finetune", "qwen3", "qwen", true],
    ["phi4:14b", "phi3", "heuristic", false],
    ["claude-sonnet-4-5", undefined, "claude-estimate", false],
  ];
  for (const [model, family, name, exact] of table) {
    it(`${model}${family ? ` (${family})` : ""} -> ${name}`, () => {
      const counter = tokenCounterFor(model, family);
      expect(counter.name).toBe(name);
      expect(counter.exact).toBe(exact);
    });
  }

  it("scales the heuristic for Claude", () => {
    const text = "export function main(argv: string[]): number { return argv.length; }\n".repeat(20);
    expect(tokenCounterFor("claude-opus-4").count(text)).toBe(Math.round(estimateTokens(text) * 1.2));
  });
});

describe("countTokensExact", () => {
  it("uses the provider's count_tokens when there is one, the counter otherwise", async () => {
    const seen: string[] = [];
    const provider: Pick<Provider, "countTokens"> = {
      countTokens: async (request) => {
        seen.push(request.messages[0]?.content ?? "");
        return 42;
      },
    };
    const counter = tokenCounterFor("claude-sonnet-4-5");
    expect(await countTokensExact("hello", { model: "claude-sonnet-4-5", counter, provider })).toEqual({
      tokens: 42,
      estimator: "anthropic-count_tokens",
      exact: true,
    });
    expect(seen).toEqual(["hello"]);
    expect(await countTokensExact("hello", { model: "claude-sonnet-4-5", counter })).toEqual({
      tokens: counter.count("hello"),
      estimator: "claude-estimate",
      exact: false,
    });
  });
});
