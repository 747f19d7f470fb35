/**
 * One context size per Ollama model per run (issue 9). The fake Ollama keeps one runner per
 * model and counts a reload whenever a request's num_ctx differs from the loaded runner's, as
 * Ollama's scheduler does (server/sched.go `needsReload`), and counts requests above the
 * model's window (Ollama would clamp them and drop the prompt's start).
 */
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { makeSandbox, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { searchReplace, unit } from "../pipeline/support/harness.js";

let ollama: FakeOllama;
let sandbox: Sandbox;

const plan = {
  summary: "simplify double and stop shouting",
  units: [unit("u1", ["lib/deep/nested/util.py"]), unit("u2", ["src/app/strings.ts"])],
};
const accept = { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } };

function allOnOneModel(extra: Record<string, unknown> = {}) {
  return makeSandbox({
    providers: { local: { type: "ollama", base_url: ollama.url, max_retries: 0, ...extra } },
    routing: {
      planner: { provider: "local", model: "qwen2.5-coder:7b" },
      drafter: { provider: "local", model: "qwen2.5-coder:7b" },
      reviewer: { provider: "local", model: "qwen2.5-coder:7b" },
    },
    parallelization: { max_local_workers: 2 },
  });
}

beforeEach(async () => {
  ollama = await startFakeOllama();
  ollama.script
    .on({ system: "You are the planner" }, { json: plan })
    .on({ system: "You review one unit" }, accept)
    .on(
      { user: "Unit u1:" },
      { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return x + x") },
    )
    .on(
      { user: "Unit u2:" },
      { text: searchReplace("src/app/strings.ts", "  return text.toUpperCase();", "  return text;") },
    );
});

afterEach(async () => {
  await ollama.close();
  rmSync(resolve(sandbox.repo, ".."), { recursive: true, force: true });
});

function chatContexts(): number[] {
  return ollama
    .requestsTo("/api/chat")
    .map((request) => (request.body as { options?: { num_ctx?: number } }).options?.num_ctx ?? -1);
}

describe("one num_ctx per Ollama model per run", { timeout: 60_000 }, () => {
  it("planner, drafter and reviewer on one model: one num_ctx on every call, 0 reloads, within the window", async () => {
    sandbox = allOnOneModel();
    const run = await runCliProcess(sandbox, ["--debug", "run", "-t", "simplify double and stop shouting"]);
    expect(run.code, run.stderr).toBe(0);
    const contexts = chatContexts();
    // plan + 2 drafts + 2 reviews
    expect(contexts.length).toBeGreaterThanOrEqual(5);
    expect(new Set(contexts).size, JSON.stringify(contexts)).toBe(1);
    expect(contexts[0]).toBeLessThanOrEqual(32768);
    expect(ollama.runners.reloads).toBe(0);
    expect(ollama.runners.clamped).toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(
        `num_ctx ${contexts[0]} for local/qwen2.5-coder:7b \\(drafter, planner, reviewer; window 32768\\)`,
      ),
    );
  });

  it("reuses a loaded runner's context so a back-to-back run does not reload", async () => {
    sandbox = allOnOneModel();
    ollama.preload("qwen2.5-coder:7b", 12288);
    const run = await runCliProcess(sandbox, ["run", "-t", "simplify double and stop shouting"]);
    expect(run.code, run.stderr).toBe(0);
    expect(new Set(chatContexts())).toEqual(new Set([12288]));
    expect(ollama.runners.reloads).toBe(0);
  });

  it("a pinned num_ctx in the provider config is sent on every call", async () => {
    sandbox = allOnOneModel({ num_ctx: 16384 });
    ollama.preload("qwen2.5-coder:7b", 12288);
    const run = await runCliProcess(sandbox, ["run", "-t", "simplify double and stop shouting"]);
    expect(run.code, run.stderr).toBe(0);
    expect(new Set(chatContexts())).toEqual(new Set([16384]));
    // One reload from the preloaded runner to the pinned size, then none.
    expect(ollama.runners.reloads).toBe(1);
  });

  it("a task too long for the planner's window is refused before anything is sent", async () => {
    ollama.models[0] = { ...(ollama.models[0] as (typeof ollama.models)[number]), contextLength: 8192 };
    sandbox = allOnOneModel();
    const task = `simplify double ${"and keep every detail of this very long requirement ".repeat(900)}`;
    const run = await runCliProcess(sandbox, ["run", "-t", task]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /error: the planner's prompt \(\d+ tokens\) plus its output budget \(4096\) exceeds the context of qwen2.5-coder:7b \(num_ctx 8192\) by \d+ tokens; nothing was sent/,
    );
    expect(run.stderr).toContain("hint: shorten the task");
    expect(ollama.requestsTo("/api/chat")).toHaveLength(0);
  });
});
