import { describe, expect, it } from "vitest";
import { bandOf, scoreComplexity, unitKindOf } from "../../src/routing/complexity.js";
import {
  classOf,
  defaultCostWeights,
  type EvidenceTable,
  type RouteCandidate,
  type RouterSettings,
  type RouteUnit,
  route,
} from "../../src/routing/router.js";

describe("complexity scoring", () => {
  it("applies the seed's heuristic with an explanation per point", () => {
    const plain = scoreComplexity("fix the typo in the greeting");
    expect(plain.score).toBe(0.1);
    expect(plain.band).toBe("trivial");
    expect(plain.features.map((feature) => feature.name)).toEqual(["length"]);
    const big = scoreComplexity("refactor the payment module and add unit tests", { targetFiles: 3 });
    expect(big.features.map((feature) => [feature.name, feature.points])).toEqual([
      ["length", 0.2],
      ["refactor_words", 2],
      ["multi_file", 1.5],
      ["tests_required", 2],
    ]);
    expect(big.score).toBe(5.7);
    expect(big.band).toBe("complex");
  });

  it("adds repository signals and is deterministic", () => {
    const signals = {
      targetTokens: 6000,
      contextFiles: 2,
      language: "rust",
      testsPresent: true,
      newFilesOnly: false,
    };
    const first = scoreComplexity("change the parser", signals);
    expect(first).toEqual(scoreComplexity("change the parser", signals));
    const points = Object.fromEntries(first.features.map((feature) => [feature.name, feature.points]));
    expect(points).toMatchObject({ target_size: 1.5, context_files: 0.5, language: 1, tests_present: 0.5 });
    expect(first.score).toBe(3.6);
    const fresh = scoreComplexity("write a readme", { newFilesOnly: true, language: "markdown" });
    expect(fresh.score).toBe(0);
    expect(scoreComplexity("x ".repeat(5000)).score).toBe(3);
  });

  it("maps scores to the seed's bands and units to kinds", () => {
    expect([0, 1.9, 2, 3.9, 4, 6.9, 7, 10].map(bandOf)).toEqual([
      "trivial",
      "trivial",
      "simple",
      "simple",
      "complex",
      "complex",
      "architectural",
      "architectural",
    ]);
    expect(unitKindOf({ goal: "add", target_files: ["tests/test_a.py"], new_files: [] })).toBe("test");
    expect(unitKindOf({ goal: "refactor x", target_files: ["a.py"], new_files: [] })).toBe("refactor");
    expect(unitKindOf({ goal: "add", target_files: ["b.py"], new_files: ["b.py"] })).toBe("new_file");
    expect(unitKindOf({ goal: "add", target_files: ["b.py"], new_files: [] })).toBe("edit");
  });
});

const local: RouteCandidate = {
  provider: "local",
  model: "qwen2.5-coder:7b",
  local: true,
  class: "local",
  maxInputTokens: 4000,
  maxFilesPerUnit: 2,
  cost: { usd: 0, seconds: 20, messages: 0 },
};
const api: RouteCandidate = {
  provider: "api",
  model: "claude-haiku-4-5",
  local: false,
  class: "fast_api",
  cost: { usd: 0.02, seconds: 5, messages: 0 },
};
const sonnet: RouteCandidate = {
  ...api,
  model: "claude-sonnet-4-6",
  class: "sonnet",
  cost: { usd: 0.06, seconds: 6, messages: 0 },
};

const unit = (score: number, extra: Partial<RouteUnit> = {}): RouteUnit => ({
  id: "u1",
  complexity: { score, band: bandOf(score), features: [] },
  kind: "edit",
  promptTokens: 1000,
  files: 1,
  ...extra,
});
const settings = (mode: RouterSettings["mode"]): RouterSettings => ({
  mode,
  seed: 1,
  exploration: 0.05,
  weights: defaultCostWeights,
  fallbackCost: 0.4,
});

describe("route", () => {
  it("fixed always answers the role's own model, whatever the unit", () => {
    const decision = route(unit(9, { promptTokens: 99_999 }), [local, api, sonnet], settings("fixed"));
    expect(decision.chosen).toBe(local);
    expect(decision.propensity).toBe(1);
  });

  it("matrix follows the seed's table within the configured candidates", () => {
    const candidates = [local, api, sonnet];
    expect(route(unit(1), candidates, settings("matrix")).chosen).toBe(local);
    expect(route(unit(3), candidates, settings("matrix")).chosen).toBe(api);
    expect(route(unit(5), candidates, settings("matrix")).chosen).toBe(sonnet);
    // No Opus-class candidate: the nearest below.
    const top = route(unit(8), candidates, settings("matrix"));
    expect(top.chosen).toBe(sonnet);
    expect(top.reason).toContain("no eligible opus candidate");
  });

  it("guards exclude a candidate whose context or tier the unit does not fit", () => {
    const tooBig = route(unit(1, { promptTokens: 5000 }), [local, api], settings("matrix"));
    expect(tooBig.chosen).toBe(api);
    expect(tooBig.candidates[0]?.excluded).toBe("prompt 5000 tokens > input budget 4000");
    const tooMany = route(unit(1, { files: 3 }), [local, api], settings("learned"));
    expect(tooMany.chosen).toBe(api);
    expect(tooMany.candidates[0]?.excluded).toBe("3 files > tier limit 2");
  });

  it("learned moves away from a candidate that keeps failing, with propensities summing to 1", () => {
    const before = route(unit(1), [local, api], settings("learned"));
    expect(before.chosen).toBe(local);
    const sum = before.candidates.reduce((total, row) => total + row.propensity, 0);
    expect(sum).toBeCloseTo(1, 3);
    const evidence: EvidenceTable = new Map([
      ["trivial/edit", new Map([["local/qwen2.5-coder:7b", { successes: 0, failures: 12 }]])],
    ]);
    const after = route(unit(1), [local, api], settings("learned"), evidence);
    expect(after.chosen).toBe(api);
    expect(after.candidates[0]?.p_success).toBeLessThan(0.2);
    // Paid candidates are never explored: a failing API model in a cell keeps its mean-based cost.
    expect(after.candidates[1]?.propensity).toBeGreaterThan(0.9);
  });

  it("classifies models into the seed's classes", () => {
    expect(classOf("qwen2.5-coder:7b", true)).toBe("local");
    expect(classOf("claude-haiku-4-5", false)).toBe("fast_api");
    expect(classOf("claude-sonnet-4-6", false)).toBe("sonnet");
    expect(classOf("claude-opus-4-8", false)).toBe("opus");
    expect(classOf("glm-4.7", false)).toBe("fast_api");
  });
});
