import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.js";
import { planCache } from "../../src/store/plan-cache.js";
import { createRedactor, openRunLog, readRunLog } from "../../src/store/run-log.js";
import { usageLedger } from "../../src/store/usage-ledger.js";
import { unit } from "./support/harness.js";

function database() {
  return openDatabase(join(mkdtempSync(join(tmpdir(), "store-")), "state.db"));
}

describe("plan cache", () => {
  it("stores, returns and clears plans", () => {
    const cache = planCache(database());
    const plan = { summary: "s", units: [unit("u1", ["a.ts"])] };
    expect(cache.get("k")).toBeUndefined();
    cache.put("k", plan, { task: "t", plannerModel: "p", drafterModel: "d" });
    expect(cache.get("k")).toEqual(plan);
    expect(cache.count()).toBe(1);
    expect(cache.clear()).toBe(1);
    expect(cache.get("k")).toBeUndefined();
  });
});

describe("usage ledger", () => {
  it("sums per role and counts subscription messages in a window", () => {
    const ledger = usageLedger(database());
    const base = {
      runId: "r1",
      provider: "claude",
      providerType: "claude_code_cli",
      model: "claude-sonnet-4-6",
      inputTokens: 100,
      outputTokens: 10,
      cacheReadTokens: 5,
      cacheWriteTokens: 1,
      costUsd: 0,
      subscriptionMessages: 1,
      latencyMs: 20,
      outcome: "ok" as const,
      purpose: "plan",
    };
    ledger.record({ ...base, at: 1_000, role: "planner" });
    ledger.record({ ...base, at: 5_000, role: "reviewer" });
    ledger.record({ ...base, at: 6_000, role: "reviewer", runId: "r2" });
    ledger.record({
      ...base,
      at: 7_000,
      role: "drafter",
      provider: "local",
      providerType: "ollama",
      model: "qwen",
      subscriptionMessages: 0,
      costUsd: undefined,
      outcome: "error",
    });
    const summary = ledger.summary();
    expect(
      summary.map((group) => [group.role, group.calls, group.inputTokens, group.cacheReadTokens]),
    ).toEqual([
      ["drafter", 1, 100, 5],
      ["planner", 1, 100, 5],
      ["reviewer", 2, 200, 10],
    ]);
    expect(summary[0]?.costUsd).toBeUndefined();
    expect(summary[0]?.errors).toBe(1);
    expect(ledger.messagesSince("claude_code_cli", 4_000)).toEqual({ messages: 2, oldest: 5_000 });
    expect(ledger.summary({ runId: "r2" })).toHaveLength(1);
    expect(ledger.runs().map((run) => run.runId)).toEqual(["r1", "r2"]);
  });
});

describe("run log", () => {
  it("redacts keys, bearer tokens and auth env values", () => {
    const redact = createRedactor({
      ANTHROPIC_API_KEY: "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
      MY_TOKEN: "hunter2hunter2",
      PATH: "/usr/bin:/bin",
    });
    const text = redact(
      "key sk-ant-api03-abcdefghijklmnopqrstuvwxyz and Authorization: Bearer abcdefghijklmnop1234 and hunter2hunter2 and sk-proj-ZZZZZZZZZZZZZZZZZZZZ in /usr/bin:/bin",
    );
    expect(text).not.toMatch(/abcdefghijklmnopqrstuvwxyz|abcdefghijklmnop1234|hunter2hunter2|ZZZZZZZZZZ/);
    expect(text).toContain("/usr/bin:/bin");
    expect(text).toContain("[REDACTED]");
  });

  it("appends JSON lines and ignores a torn last line", () => {
    const file = join(mkdtempSync(join(tmpdir(), "log-")), "logs", "r.jsonl");
    const log = openRunLog(file, {
      redact: createRedactor({ SECRET_KEY: "supersecretvalue" }),
      now: () => 42,
    });
    log.append({ type: "prompt", messages: [{ role: "user", content: "use supersecretvalue" }] });
    log.append({ type: "reply", text: "ok" });
    writeFileSync(file, `${readRunLogRaw(file)}{"type":"par`);
    const records = readRunLog(file);
    expect(records.map((record) => record.type)).toEqual(["prompt", "reply"]);
    expect(JSON.stringify(records[0])).not.toContain("supersecretvalue");
    expect(records[0]?.at).toBe(42);
  });
});

function readRunLogRaw(file: string): string {
  return readFileSync(file, "utf8");
}
