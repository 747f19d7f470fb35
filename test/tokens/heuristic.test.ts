import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estimateTokens, heuristicCounter } from "../../src/tokens/heuristic.js";
import { realTokenizer } from "../../src/tokens/real-tokenizers.js";

const fixtures = join(import.meta.dirname, "..", "fixtures", "repo-langs");

describe("fallback heuristic", () => {
  it("stays close to o200k on the twelve language fixtures (mean |error| under 15%)", () => {
    const o200k = realTokenizer("o200k_base");
    const errors = readdirSync(fixtures).map((file) => {
      const text = readFileSync(join(fixtures, file), "utf8");
      const truth = o200k.count(text);
      return Math.abs(estimateTokens(text) - truth) / truth;
    });
    const mean = errors.reduce((sum, error) => sum + error, 0) / errors.length;
    expect(mean).toBeLessThan(0.15);
    for (const error of errors) expect(error).toBeLessThan(0.3);
  });

  it("charges long identifiers, punctuation and CJK text more than plain words", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("hello world")).toBe(2);
    expect(estimateTokens("a_very_long_identifier_name_here")).toBeGreaterThan(estimateTokens("name"));
    expect(estimateTokens("}}]);")).toBeGreaterThanOrEqual(3);
    expect(estimateTokens("你好世界你好世界")).toBeGreaterThanOrEqual(5);
  });

  it("names itself and is not exact", () => {
    const counter = heuristicCounter();
    expect(counter).toMatchObject({ name: "heuristic", exact: false });
  });
});
