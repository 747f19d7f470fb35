/** plan / draft / review / usage / errors through the built CLI and the fake servers. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { searchReplace, unit, wholeFile } from "../pipeline/support/harness.js";

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox;

beforeEach(async () => {
  anthropic = await startFakeAnthropic();
  ollama = await startFakeOllama();
  openai = await startFakeOpenAI();
  sandbox = makeSandbox(roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }));
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
});

describe("pipeline commands", { timeout: 60_000 }, () => {
  it("plan prints the validated plan and the drafter's profile", async () => {
    anthropic.script.on(
      { system: "You are the planner" },
      {
        json: {
          summary: "one step",
          units: [unit("u1", ["pkg/new/mod.ts"], { new_files: ["pkg/new/mod.ts"] })],
        },
      },
    );
    const human = await runCliProcess(sandbox, ["plan", "-t", "create a module"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("targets: pkg/new/mod.ts (new: pkg/new/mod.ts)");
    expect(human.stderr).toMatch(
      /drafter: qwen2\.5-coder:7b \(7\.6B params, Q4_K_M\): tier (narrow|standard)/,
    );
    const json = await runCliProcess(sandbox, ["plan", "-t", "create a module", "--json"]);
    const parsed = JSON.parse(json.stdout) as { fromCache: boolean; plan: { units: unknown[] } };
    expect(parsed.fromCache).toBe(true);
    expect(anthropic.requestsTo("/v1/messages")).toHaveLength(1);
  });

  it("draft makes one drafter call for one file and prints its diff", async () => {
    ollama.script.on(
      { user: "lib/deep/nested/util.py" },
      { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return 2 * x") },
    );
    const run = await runCliProcess(sandbox, [
      "draft",
      "-t",
      "write 2 * x",
      "--file",
      "lib/deep/nested/util.py",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("diff --git a/lib/deep/nested/util.py b/lib/deep/nested/util.py");
    expect(run.stdout).toContain("+    return 2 * x");
    expect(ollama.requestsTo("/api/chat")).toHaveLength(1);
    expect(anthropic.requests).toHaveLength(0);
  });

  it("draft exits 9 when the reply has no usable edit", async () => {
    ollama.script.on({ user: "README.md" }, { text: "I would rather not." });
    const run = await runCliProcess(sandbox, ["draft", "-t", "rewrite", "--file", "README.md"]);
    expect(run.code).toBe(9);
    expect(run.stderr).toMatch(/no usable edit/);
  });

  it("review judges a file's uncommitted diff on the reviewer's own provider", async () => {
    writeFileSync(
      join(sandbox.repo, "src/app/math.ts"),
      "export const add = (a: number, b: number) => a - b;\n",
    );
    openai.script.on(
      { user: "-export function add" },
      {
        json: {
          action: "revise",
          feedback: "add subtracts",
          issues: ["a - b"],
          confidence: 0.9,
          sub_units: [],
        },
      },
    );
    const run = await runCliProcess(sandbox, [
      "review",
      "-t",
      "keep add correct",
      "--file",
      "src/app/math.ts",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^revise \(confidence 0\.9\) — src\/app\/math\.ts \(diff\)/);
    expect(run.stdout).toContain("- a - b");
    expect(openai.requestsTo("/v1/chat/completions")).toHaveLength(1);
    expect(anthropic.requests).toHaveLength(0);
  });

  it("explains a missing role binding and a missing task", async () => {
    const bare = makeSandbox({
      providers: { local: { type: "ollama", base_url: ollama.url } },
      routing: { drafter: { provider: "local", model: "m" } },
    });
    const run = await runCliProcess(bare, ["run", "-t", "x"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/no planner is configured[\s\S]*hint:/);
    const noTask = await runCliProcess(sandbox, ["run"]);
    expect(noTask.code).toBe(2);
    const noTerminal = await runCliProcess(sandbox, ["run", "-t", "x", "--apply"]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toMatch(/add --yes/);
  });

  it("usage reads the ledger across runs", async () => {
    ollama.script.on({ user: "README.md" }, { text: wholeFile("README.md", "# demo\n\nmore\n") });
    await runCliProcess(sandbox, ["draft", "-t", "extend", "--file", "README.md"]);
    await runCliProcess(sandbox, ["draft", "-t", "extend", "--file", "README.md"]);
    const usage = await runCliProcess(sandbox, ["usage", "--since", "1h"]);
    expect(usage.code, usage.stderr).toBe(0);
    expect(usage.stdout).toMatch(/drafter\s+local\/qwen2\.5-coder:7b\s+2 calls/);
    expect(usage.stderr).toMatch(/2 run\(s\) since 1h/);
  });
});
