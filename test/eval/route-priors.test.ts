/** A saved evaluation moves the learned router: `route explain` after `eval` results for the local model. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveReport } from "../../src/eval/report.js";
import { summarize, type TaskResult } from "../../src/eval/run.js";
import { cli } from "../app/cli-harness.js";
import { type RouteSandbox, startRouteSandbox } from "../setup/route-sandbox.js";

let sandbox: RouteSandbox;
let env: Record<string, string | undefined>;
let repo: string;

beforeAll(async () => {
  sandbox = await startRouteSandbox();
  ({ env, repo } = sandbox);
});

afterAll(async () => {
  await sandbox?.close();
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
