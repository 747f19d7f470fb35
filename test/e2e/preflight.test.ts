/**
 * Pre-flight (issue 9): nothing is paid before every role passed doctor's checks. With the REAL
 * claude and codex from npm (devDependencies), not logged in, as planner: `run` exits 5 naming
 * the login within 30 s, without any planner or drafter call. A missing drafter model and
 * `--verify` in a repository without commits stop the run before the planner too.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeClis, installFakeClis } from "../kit/fake-cli.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { makeSandbox, runCliProcess } from "../pipeline/support/e2e.js";

const bin = resolve(import.meta.dirname, "../../node_modules/.bin");

let ollama: FakeOllama;
const cleanups: Array<() => void> = [];

beforeEach(async () => {
  ollama = await startFakeOllama();
});

afterEach(async () => {
  await ollama.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function loggedOutSandbox(planner: Record<string, unknown>, plannerModel: string) {
  const sandbox = makeSandbox({
    providers: {
      subscription: planner,
      local: { type: "ollama", base_url: ollama.url, max_retries: 0 },
    },
    routing: {
      planner: { provider: "subscription", model: plannerModel },
      drafter: { provider: "local", model: "qwen2.5-coder:7b" },
      reviewer: { provider: "subscription", model: plannerModel },
    },
  });
  delete (sandbox.env as Record<string, string | undefined>).ANTHROPIC_API_KEY;
  delete (sandbox.env as Record<string, string | undefined>).OPENAI_API_KEY;
  sandbox.env.CODEX_HOME = join(sandbox.home, ".codex");
  cleanups.push(() => rmSync(resolve(sandbox.repo, ".."), { recursive: true, force: true }));
  return sandbox;
}

describe("pre-flight with the real CLIs, not logged in", { timeout: 60_000 }, () => {
  for (const [name, type, model, login] of [
    ["claude", "claude_code_cli", "sonnet", "claude /login"],
    ["codex", "codex_cli", "gpt-5", "codex login"],
  ] as const) {
    it(`${name} as planner: run exits 5 naming \`${login}\` within 30 s, no model call`, async () => {
      const sandbox = loggedOutSandbox({ type, binary: join(bin, name) }, model);
      const started = Date.now();
      const run = await runCliProcess(sandbox, ["run", "-t", "simplify double"]);
      const seconds = (Date.now() - started) / 1000;
      expect(run.code, run.stderr).toBe(5);
      expect(seconds).toBeLessThan(30);
      expect(run.stderr).toMatch(/^error: planner \(subscription\/.+\): .*not logged in/m);
      expect(run.stderr).toContain(login);
      // Neither the drafter (Ollama) nor the planner was called.
      expect(ollama.requestsTo("/api/chat")).toHaveLength(0);
      console.info(
        `[issue 9] ${name} planner, not logged in: exit ${run.code} after ${seconds.toFixed(1)} s\n${run.stderr.trim()}`,
      );
    });
  }
});

describe("pre-flight with the fakes", { timeout: 60_000 }, () => {
  let clis: FakeClis;
  beforeEach(() => {
    clis = installFakeClis({ isolatePath: true });
  });
  afterEach(() => clis.cleanup());
  const useFakes = (env: Record<string, string>) => {
    for (const [key, value] of Object.entries(clis.env))
      if (key.startsWith("FAKE_") && value !== undefined) env[key] = value;
    env.PATH = clis.env.PATH ?? "";
  };

  it("a missing drafter model stops the run before the planner is paid (exit 6)", async () => {
    const sandbox = makeSandbox({
      providers: {
        claude_pro: { type: "claude_code_cli", binary: clis.claudePath },
        local: { type: "ollama", base_url: ollama.url, max_retries: 0 },
      },
      routing: {
        planner: { provider: "claude_pro", model: "sonnet" },
        drafter: { provider: "local", model: "not-pulled:7b" },
      },
    });
    cleanups.push(() => rmSync(resolve(sandbox.repo, ".."), { recursive: true, force: true }));
    useFakes(sandbox.env);
    const run = await runCliProcess(sandbox, ["run", "-t", "simplify double"]);
    expect(run.code, run.stderr).toBe(6);
    expect(run.stderr).toContain("model 'not-pulled:7b' is not pulled");
    expect(run.stderr).toContain("hint: ollama pull not-pulled:7b");
    expect(clis.logOf("claude").filter((call) => call.argv.includes("-p"))).toHaveLength(0);
    expect(ollama.requestsTo("/api/chat")).toHaveLength(0);
  });

  it("--verify in a repository without commits stops before the planner (exit 2)", async () => {
    const sandbox = makeSandbox({
      providers: {
        claude_pro: { type: "claude_code_cli", binary: clis.claudePath },
        local: { type: "ollama", base_url: ollama.url, max_retries: 0 },
      },
      routing: {
        planner: { provider: "claude_pro", model: "sonnet" },
        drafter: { provider: "local", model: "qwen2.5-coder:7b" },
      },
    });
    cleanups.push(() => rmSync(resolve(sandbox.repo, ".."), { recursive: true, force: true }));
    useFakes(sandbox.env);
    rmSync(join(sandbox.repo, ".git"), { recursive: true, force: true });
    spawnSync("git", ["init", "-q"], { cwd: sandbox.repo });
    const run = await runCliProcess(sandbox, ["run", "-t", "simplify double", "--verify", "true"]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("verification needs a git repository with at least one commit");
    expect(clis.logOf("claude").filter((call) => call.argv.includes("-p"))).toHaveLength(0);
  });
});
