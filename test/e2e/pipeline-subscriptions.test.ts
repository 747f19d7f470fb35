/**
 * Subscription planners through the fake `claude` and `codex` executables: planner on claude,
 * reviewer on codex, drafter on fake Ollama. The usage ledger counts messages per quota window.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeClis, installFakeClis } from "../kit/fake-cli.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { makeSandbox, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { searchReplace, unit } from "../pipeline/support/harness.js";

let ollama: FakeOllama;
let clis: FakeClis;
let sandbox: Sandbox;

const plan = {
  summary: "simplify double",
  units: [unit("u1", ["lib/deep/nested/util.py"]), unit("u2", ["src/app/strings.ts"])],
};
const verdict = { action: "accept", feedback: "", issues: [], confidence: 0.9, sub_units: [] };

beforeEach(async () => {
  ollama = await startFakeOllama();
  ollama.script
    .on(
      { user: "Unit u1:" },
      { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return x + x") },
    )
    .on(
      { user: "Unit u2:" },
      { text: searchReplace("src/app/strings.ts", "  return text.toUpperCase();", "  return text;") },
    );
  clis = installFakeClis({
    isolatePath: true,
    claudeScript: { rules: [{ hasSchema: true, promptIncludes: "Task:", json: plan }] },
    codexScript: { rules: [{ hasSchema: true, json: verdict }] },
  });
  sandbox = makeSandbox({
    providers: {
      claude_pro: { type: "claude_code_cli", binary: clis.claudePath },
      codex_plus: { type: "codex_cli", binary: clis.codexPath },
      local: { type: "ollama", base_url: ollama.url, max_retries: 0 },
    },
    routing: {
      planner: { provider: "claude_pro", model: "claude-sonnet-4-6" },
      drafter: { provider: "local", model: "qwen2.5-coder:7b" },
      reviewer: { provider: "codex_plus", model: "gpt-5" },
    },
  });
  for (const [name, value] of Object.entries(clis.env)) {
    if (name.startsWith("FAKE_") && value !== undefined) sandbox.env[name] = value;
  }
  sandbox.env.PATH = clis.env.PATH ?? "";
  delete sandbox.env.ANTHROPIC_API_KEY;
  delete sandbox.env.OPENAI_API_KEY;
});

afterEach(async () => {
  await ollama.close();
  clis.cleanup();
});

describe("subscription planner and reviewer (fake claude / codex CLIs)", { timeout: 60_000 }, () => {
  it("plans on claude, reviews on codex, and counts messages against each window", async () => {
    const estimate = await runCliProcess(sandbox, ["estimate", "-t", "simplify double and stop shouting"]);
    expect(estimate.code, estimate.stderr).toBe(0);
    expect(estimate.stdout).toMatch(/quota\s+planner on Claude Pro: 1 expected/);
    expect(estimate.stdout).toMatch(/quota\s+reviewer on ChatGPT Plus \(Codex\)/);

    const run = await runCliProcess(sandbox, ["run", "-t", "simplify double and stop shouting"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("+    return x + x");
    const claudeCalls = clis.logOf("claude").filter((call) => call.argv.includes("-p"));
    const codexCalls = clis.logOf("codex").filter((call) => call.argv.includes("exec"));
    expect(claudeCalls).toHaveLength(1);
    expect(codexCalls).toHaveLength(2);
    // The prompt travels on stdin (no argv length limit) and the CLI runs in the repository.
    expect(claudeCalls[0]?.stdin ?? "").toContain("simplify double and stop shouting");
    expect(claudeCalls[0]?.cwd).toBe(sandbox.repo);
    expect(run.stderr).toMatch(/planner\s+claude-sonnet-4-6\s+1 calls.*1 subscription msg/);

    const usage = await runCliProcess(sandbox, ["usage", "--json"]);
    const report = JSON.parse(usage.stdout) as {
      windows: Array<{ plan: string; used: number; windowHours: number }>;
      roles: Record<string, { calls: number; subscriptionMessages: number }>;
    };
    expect(report.windows.map((window) => [window.plan, window.used, window.windowHours])).toEqual([
      ["Claude Pro", 1, 5],
      ["ChatGPT Plus (Codex)", 2, 5],
    ]);
    expect(report.roles.drafter?.calls).toBe(2);
    expect(report.roles.drafter?.subscriptionMessages).toBe(0);
    const human = await runCliProcess(sandbox, ["usage"]);
    expect(human.stdout).toMatch(/Claude Pro: 1 of ~45 messages in the last 5 h/);
  });
});
