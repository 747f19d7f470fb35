/** A saved evaluation moves the learned router: `route explain` after `eval` results for the local model. */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { saveReport } from "../../src/eval/report.js";
import { summarize, type TaskResult } from "../../src/eval/run.js";
import { closeAllDatabases } from "../../src/store/database.js";
import { cli, sandboxHome } from "../app/cli-harness.js";
import { type FakeAnthropic, type FakeOllama, startFakeAnthropic, startFakeOllama } from "../kit/index.js";

let ollama: FakeOllama;
let anthropic: FakeAnthropic;
let env: Record<string, string | undefined>;
let home: string;
let repo: string;

beforeAll(async () => {
  [ollama, anthropic] = await Promise.all([startFakeOllama(), startFakeAnthropic()]);
  const sandbox = sandboxHome();
  home = sandbox.home;
  repo = join(home, "repo");
  mkdirSync(join(repo, "src"), { recursive: true });
  writeFileSync(join(repo, "src", "util.py"), "def add(a, b):\n    return a + b\n");
  execFileSync("git", ["init", "-q", repo]);
  const configFile = join(home, ".hierocode.yaml");
  writeFileSync(
    configFile,
    stringify({
      providers: {
        local: { type: "ollama", base_url: ollama.url },
        api: { type: "anthropic", base_url: anthropic.url, auth: { type: "none" } },
      },
      routing: {
        planner: { provider: "api", model: "claude-sonnet-4-6" },
        drafter: {
          provider: "local",
          model: "qwen2.5-coder:7b",
          candidates: [{ provider: "api", model: "claude-haiku-4-5-20251001" }],
        },
      },
      router: {
        mode: "learned",
        seed: 1,
        exploration: 0.05,
        weights: { usd: 1, seconds: 0.0001, messages: 0.05 },
      },
    }),
  );
  env = {
    ...process.env,
    ...sandbox.env,
    HIEROCODE_CONFIG: configFile,
    HIEROCODE_DATA_DIR: join(dirname(home), "data"),
  };
});

afterAll(async () => {
  closeAllDatabases();
  await Promise.all([ollama?.close(), anthropic?.close()]);
  rmSync(dirname(home), { recursive: true, force: true });
});

const task = "add a docstring to add in src/util.py";

function results(passed: number, total: number): TaskResult[] {
  return Array.from({ length: total }, (_, index) => ({
    id: `t${index}`,
    language: "python",
    passed: index < passed,
    well_formed: true,
    truncated: false,
    latency_ms: 1000,
    tokens_in: 500,
    tokens_out: 100,
  }));
}

describe("evaluation priors in the router", { timeout: 60_000 }, () => {
  it("a local model that failed its evaluation loses the small edits; a passing one wins them back", async () => {
    const explain = async () => {
      const run = await cli(["route", "explain", "-t", task, "--repo", repo, "--json"], env, repo);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as {
        model: string;
        candidates: Array<{ model: string; p_success: number }>;
      };
    };
    const before = await explain();
    expect(before.model).toBe("qwen2.5-coder:7b");
    const local = { provider: "local", model: "qwen2.5-coder:7b" };
    saveReport(env, {
      version: 1,
      at: "2026-01-01T00:00:00.000Z",
      suite: "builtin",
      models: [summarize(local, results(0, 32))],
    });
    const failed = await explain();
    expect(failed.model).toBe("claude-haiku-4-5-20251001");
    const pFailed = failed.candidates.find((row) => row.model === local.model)?.p_success ?? 1;
    expect(pFailed).toBeLessThan(before.candidates.find((row) => row.model === local.model)?.p_success ?? 0);
    // A newer evaluation replaces the old one.
    saveReport(env, {
      version: 1,
      at: "2026-02-01T00:00:00.000Z",
      suite: "builtin",
      models: [summarize(local, results(32, 32))],
    });
    const passed = await explain();
    expect(passed.model).toBe("qwen2.5-coder:7b");
    expect(passed.candidates.find((row) => row.model === local.model)?.p_success).toBeGreaterThan(pFailed);
  });
});
