/**
 * Drafting with the tokenizer's cheap upper bound (`atMost`, src/tokens): a small prompt is sent
 * without the exact tokenizer, and whatever the bound cannot settle is counted exactly — in every
 * case the request sent is the very request exact counts give (system, messages, max_tokens,
 * num_ctx). The ModelCaller's fit check (issue 9) likewise skips the exact count only when the
 * bound already fits and still refuses, sending nothing, whatever exactly does not fit.
 */
import { describe, expect, it } from "vitest";
import { repoPacker } from "../../src/app/run.js";
import { builtinPriceTable } from "../../src/cost/price-table.js";
import { ContextOverflowError } from "../../src/errors.js";
import { profileFromCapacity } from "../../src/pipeline/capacity.js";
import { draftUnit } from "../../src/pipeline/draft.js";
import { defaultEditEngine } from "../../src/pipeline/edit-engine.js";
import { ModelCaller, type RoleRuntime } from "../../src/pipeline/model-call.js";
import type { PlanUnit } from "../../src/pipeline/plan-schema.js";
import { systemClock, type TokenCounter } from "../../src/pipeline/ports.js";
import { realTokenizer } from "../../src/tokens/real-tokenizers.js";
import { unit, wholeFile } from "./support/harness.js";
import { type ScriptedProvider, scriptedProvider } from "./support/scripted-provider.js";

const GiB = 1024 ** 3;
const memory = { totalRamBytes: 64 * GiB, vramBytes: 0 };
const qwen = realTokenizer("qwen");

/** The real Qwen counter, with its exact counts counted; `bound: false` hides `atMost`. */
function counted(bound: boolean): TokenCounter & { exactCalls: number } {
  const counter = {
    name: qwen.name,
    exact: true,
    exactCalls: 0,
    count(text: string) {
      counter.exactCalls += 1;
      return qwen.count(text);
    },
    ...(bound ? { atMost: qwen.atMost } : {}),
  };
  return counter;
}

function drafter(): { provider: ScriptedProvider; role: RoleRuntime } {
  const provider = scriptedProvider({
    name: "local",
    type: "ollama",
    local: true,
    // Every unit here targets src/a.ts.
    answer: () => ({ text: wholeFile("src/a.ts", "export const changed = true;\n") }),
  });
  return { provider, role: { providerName: "local", provider, model: "qwen2.5-coder:7b" } };
}

function callerFor(role: RoleRuntime): ModelCaller {
  return new ModelCaller({
    runId: "bound",
    roles: { planner: role, drafter: role, reviewer: role },
    repoRoot: "/nonexistent",
    priceTable: builtinPriceTable,
    clock: systemClock,
  });
}

/** TypeScript source of at least `bytes` bytes (~3.3 bytes per Qwen token). */
function code(bytes: number): string {
  let text = "";
  for (let index = 0; text.length < bytes; index++)
    text += `export const value${index} = compute(${index}, "v${index}");\n`;
  return text;
}

async function draftWith(
  bound: boolean,
  files: Record<string, string>,
  planUnit: PlanUnit,
  contextLength: number,
  packer: boolean,
) {
  const counter = counted(bound);
  const { provider, role } = drafter();
  const profile = profileFromCapacity(
    { model: "qwen2.5-coder:7b", parameterSize: "7B", contextLength },
    { provider: "local", local: true, memory },
  );
  const outcome = await draftUnit(
    {
      task: "change the values",
      profile,
      counter,
      caller: callerFor(role),
      edits: defaultEditEngine,
      read: (path) => files[path] ?? null,
      maxEditRetries: 0,
      ...(packer ? { packer: repoPacker("/nonexistent") } : {}),
    },
    planUnit,
    { attempt: 1 },
  );
  const request = provider.requests[0];
  return {
    outcome,
    counter,
    profile,
    sent: request
      ? {
          system: request.system,
          messages: request.messages,
          maxOutputTokens: request.maxOutputTokens,
          numCtx: request.numCtx,
        }
      : undefined,
  };
}

describe("drafting with an upper bound of the token count", () => {
  for (const packer of [false, true]) {
    const packing = packer ? "symbol-aware packer" : "basic packer";

    it(`${packing}: a small unit is sent without the exact tokenizer, exactly as exact counts would send it`, async () => {
      const files = { "src/a.ts": "export const a = 1;\n", "src/b.ts": "export const b = 2;\n" };
      const planUnit = unit("u1", ["src/a.ts"], { context_files: ["src/b.ts"] });
      const fast = await draftWith(true, files, planUnit, 16384, packer);
      const exact = await draftWith(false, files, planUnit, 16384, packer);
      expect(fast.outcome).toMatchObject({ ok: true });
      expect(fast.counter.exactCalls).toBe(0);
      expect(exact.counter.exactCalls).toBeGreaterThan(0);
      expect(fast.sent).toEqual(exact.sent);
    }, 30_000);

    it(`${packing}: what the bound cannot settle is counted exactly, and the request is the same`, async () => {
      // A context file whose byte length exceeds what is left of the budget while its real
      // token count fits: by the bound it would be left out, exactly it goes in.
      const profile = profileFromCapacity(
        { model: "qwen2.5-coder:7b", parameterSize: "7B", contextLength: 4096 },
        { provider: "local", local: true, memory },
      );
      const context = code(Math.ceil(profile.maxInputTokens * 1.2));
      expect(qwen.atMost?.(context)).toBeGreaterThan(profile.maxInputTokens);
      expect(qwen.count(context)).toBeLessThan(profile.maxInputTokens - 800);
      const files = { "src/a.ts": "export const a = 1;\n", "src/ctx.ts": context };
      const planUnit = unit("u1", ["src/a.ts"], { context_files: ["src/ctx.ts"] });
      const fast = await draftWith(true, files, planUnit, 4096, packer);
      const exact = await draftWith(false, files, planUnit, 4096, packer);
      expect(fast.counter.exactCalls).toBeGreaterThan(0);
      expect(fast.sent).toEqual(exact.sent);
      expect(fast.sent?.messages[0]?.content).toContain("value0 = compute");
    }, 30_000);
  }

  it("a target whose bound is over the whole-file limit but whose real count is not stays whole-file", async () => {
    const probe = profileFromCapacity(
      { model: "qwen2.5-coder:7b", parameterSize: "7B", contextLength: 16384 },
      { provider: "local", local: true, memory },
    );
    const target = code(Math.ceil(probe.wholeFileMaxTokens * 1.3));
    expect(qwen.atMost?.(target)).toBeGreaterThan(probe.wholeFileMaxTokens);
    expect(qwen.count(target)).toBeLessThanOrEqual(probe.wholeFileMaxTokens);
    const files = { "src/a.ts": target };
    const fast = await draftWith(true, files, unit("u1", ["src/a.ts"]), 16384, false);
    const exact = await draftWith(false, files, unit("u1", ["src/a.ts"]), 16384, false);
    expect(fast.counter.exactCalls).toBeGreaterThan(0);
    expect(fast.sent).toEqual(exact.sent);
    expect(fast.sent?.system).toMatch(/whole/i);
  }, 30_000);
});

describe("the fit check with a fixed context (issue 9) and an upper bound", () => {
  const request = (content: string, maxOutputTokens: number) => ({
    messages: [{ role: "user" as const, content }],
    maxOutputTokens,
  });

  it("skips the exact count only when the bound fits, and refuses what exactly does not fit", async () => {
    const { provider, role } = drafter();
    const caller = callerFor(role);
    const counter = counted(true);
    caller.fixContext("local", "qwen2.5-coder:7b", { numCtx: 2048, counter });
    await caller.call("drafter", request("export const a = 1;\n", 512), { purpose: "small" });
    expect(counter.exactCalls).toBe(0);
    expect(provider.requests[0]?.maxOutputTokens).toBe(512);

    // Over by the bound (bytes), within exactly: sent, after an exact count.
    const text = code(3500); // ~1,300 Qwen tokens
    expect(qwen.atMost?.(text)).toBeGreaterThan(2048);
    await caller.call("drafter", request(text, 512), { purpose: "medium" });
    expect(counter.exactCalls).toBeGreaterThan(0);
    expect(provider.requests).toHaveLength(2);

    // Over exactly: refused, nothing sent.
    await expect(caller.call("drafter", request(code(7000), 512), { purpose: "big" })).rejects.toBeInstanceOf(
      ContextOverflowError,
    );
    expect(provider.requests).toHaveLength(2);
  }, 30_000);
});
