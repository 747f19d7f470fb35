import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { estimateRun } from "../../src/cost/estimate.js";
import { builtinPriceTable, findModelPrice, findSubscription } from "../../src/cost/price-table.js";
import { loadPriceTable } from "../../src/cost/pricing-file.js";
import { costOfCall } from "../../src/cost/usage-cost.js";
import { ConfigError } from "../../src/errors.js";

const usage = (inputTokens: number, outputTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0) => ({
  inputTokens,
  outputTokens,
  cacheReadTokens,
  cacheWriteTokens,
});

describe("price table", () => {
  it.each([
    ["claude-haiku-4-5", 1, 5],
    ["claude-haiku-4-5-20251001", 1, 5],
    ["claude-sonnet-4-6", 3, 15],
    ["claude-sonnet-5", 2, 10],
    ["claude-opus-4-1", 15, 75],
    ["gpt-5-mini", 0.25, 2],
    ["gpt-5-2025-08-07", 1.25, 10],
  ])("%s costs %d / %d per MTok", (model, input, output) => {
    const price = findModelPrice(builtinPriceTable, model);
    expect(price?.input).toBe(input);
    expect(price?.output).toBe(output);
    expect(price?.source).toBeTruthy();
    expect(price?.asOf).toMatch(/^\d{4}-\d{2}/);
  });

  it("does not invent prices for unknown models", () => {
    expect(findModelPrice(builtinPriceTable, "gpt-6.1-sol")).toBeUndefined();
  });

  it("prices cache buckets separately (Anthropic reports them outside input_tokens)", () => {
    // Real Anthropic usage shape: input 20, cache_creation 1000, cache_read 5000, output 300 on Haiku 4.5.
    const cost = costOfCall(builtinPriceTable, {
      providerType: "anthropic",
      model: "claude-haiku-4-5",
      usage: usage(20, 300, 5000, 1000),
    });
    expect(cost.usd).toBeCloseTo((20 * 1 + 300 * 5 + 5000 * 0.1 + 1000 * 1.25) / 1e6, 12);
  });

  it("charges nothing for local and subscription calls but counts messages", () => {
    expect(
      costOfCall(builtinPriceTable, { providerType: "ollama", model: "x", usage: usage(1e6, 1e6) }).usd,
    ).toBe(0);
    const cli = costOfCall(builtinPriceTable, {
      providerType: "claude_code_cli",
      model: "claude-sonnet-4-6",
      usage: usage(1e6, 1),
    });
    expect(cli).toEqual({ usd: 0, priced: true, subscriptionMessages: 1 });
    expect(findSubscription(builtinPriceTable, "claude_code_cli")?.windowHours).toBe(5);
  });
});

describe("pricing.yaml", () => {
  it("overrides and extends the built-in table", () => {
    const dir = mkdtempSync(join(tmpdir(), "pricing-"));
    const file = join(dir, "pricing.yaml");
    writeFileSync(
      file,
      "models:\n  claude-haiku-4-5: { input: 2, output: 8 }\n  my-new-model: { input: 0.5, output: 1, cache_read: 0.05 }\nsubscriptions:\n  claude_max: { provider_type: claude_code_cli, messages_per_window: 225, window_hours: 5 }\n",
    );
    const { table } = loadPriceTable({ pricingFile: file });
    expect(findModelPrice(table, "claude-haiku-4-5")?.input).toBe(2);
    expect(findModelPrice(table, "claude-haiku-4-5-20251001")?.input).toBe(2);
    expect(findModelPrice(table, "my-new-model")?.cacheRead).toBe(0.05);
    expect(findSubscription(table, "claude_code_cli")?.messagesPerWindow).toBe(225);
  });

  it("finds the default file under HOME and reports bad rows", () => {
    const home = mkdtempSync(join(tmpdir(), "home-"));
    expect(loadPriceTable({ env: { HOME: home } }).file).toBeUndefined();
    mkdirSync(join(home, ".hierocode"));
    writeFileSync(join(home, ".hierocode", "pricing.yaml"), "models:\n  x: { input: -1, output: 1 }\n");
    expect(() => loadPriceTable({ env: { HOME: home } })).toThrow(ConfigError);
  });
});

describe("estimateRun", () => {
  const base = {
    task: "add input validation to the login endpoint",
    planCached: false,
    skeletonTokens: 3000,
    policy: {
      max_revisions_per_unit: 2,
      max_escalations_per_task: 3,
      max_edit_retries: 1,
      review_max_output_tokens: 400,
    },
    maxUnits: 24,
    drafterInputBudget: 6000,
    planner: { providerType: "anthropic" as const, local: false, model: "claude-haiku-4-5" },
    drafter: { providerType: "ollama" as const, local: true, model: "qwen2.5-coder:7b" },
    reviewer: { providerType: "anthropic" as const, local: false, model: "claude-sonnet-4-6" },
  };

  it("gives expected and worst case per role, with the plan's unit count", () => {
    const estimate = estimateRun(
      { ...base, units: [{ est_input_tokens: 1000 }, { est_input_tokens: 3000 }] },
      builtinPriceTable,
    );
    expect(estimate.units).toEqual({ expected: 2, worst: 2, fromPlan: true });
    expect(estimate.expected.planner.calls).toBe(1);
    expect(estimate.expected.reviewer.calls).toBe(2);
    expect(estimate.worst.planner.calls).toBe(2 + 2); // plan + retry + 2 escalations (capped by units)
    expect(estimate.worst.reviewer.calls).toBe(2 * 3 + 2);
    expect(estimate.expected.drafter.usd).toBe(0);
    expect(estimate.totals.expectedUsd).toBeGreaterThan(0);
    expect(estimate.totals.worstUsd).toBeGreaterThan(estimate.totals.expectedUsd ?? 0);
  });

  it("counts a 50-token redirect, one more draft and one more review before each worst-case escalation", () => {
    const units = [{ est_input_tokens: 1000 }, { est_input_tokens: 3000 }];
    const without = estimateRun({ ...base, units }, builtinPriceTable);
    const withRedirects = estimateRun(
      {
        ...base,
        units,
        policy: { ...base.policy, redirect_before_escalation: true, redirect_max_output_tokens: 50 },
      },
      builtinPriceTable,
    );
    expect(withRedirects.worst.planner.calls).toBe(without.worst.planner.calls + 2);
    expect(withRedirects.worst.planner.outputTokens).toBe(without.worst.planner.outputTokens + 2 * 50);
    expect(withRedirects.worst.drafter.calls).toBe(without.worst.drafter.calls + 2);
    expect(withRedirects.worst.reviewer.calls).toBe(without.worst.reviewer.calls + 2);
    expect(withRedirects.expected.planner.calls).toBe(without.expected.planner.calls);
  });

  it("costs zero planner calls on a cache hit and counts subscription messages for CLI roles", () => {
    const estimate = estimateRun(
      {
        ...base,
        planCached: true,
        units: [{ est_input_tokens: 500 }],
        planner: { providerType: "claude_code_cli", local: false, model: "claude-sonnet-4-6" },
        reviewer: { providerType: "claude_code_cli", local: false, model: "claude-sonnet-4-6" },
      },
      builtinPriceTable,
    );
    expect(estimate.expected.planner.calls).toBe(0);
    expect(estimate.totals.expectedUsd).toBe(0);
    expect(estimate.quota.map((note) => [note.role, note.expected, note.messagesPerWindow])).toEqual([
      ["planner", 0, 45],
      ["reviewer", 1, 45],
    ]);
  });

  it("says when a price is unknown instead of printing $0", () => {
    const estimate = estimateRun(
      { ...base, reviewer: { providerType: "openai_compatible", local: false, model: "gpt-6.1-sol" } },
      builtinPriceTable,
    );
    expect(estimate.totals.expectedUsd).toBeUndefined();
    expect(estimate.notes.join("\n")).toMatch(/gpt-6.1-sol' has no known price/);
  });
});
