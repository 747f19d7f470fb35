import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ExitCode } from "../../src/errors.js";
import { openLearningDatabase, outcomeStore } from "../../src/routing/outcome-store.js";
import { closeAllDatabases } from "../../src/store/database.js";
import { cli } from "../app/cli-harness.js";
import type { FakeOllama } from "../kit/index.js";
import { type RouteSandbox, startRouteSandbox } from "../setup/route-sandbox.js";

let sandbox: RouteSandbox;
let ollama: FakeOllama;
let env: Record<string, string | undefined>;
let home: string;
let repo: string;

beforeAll(async () => {
  sandbox = await startRouteSandbox();
  ({ ollama, env, home, repo } = sandbox);
});

afterAll(async () => {
  await sandbox?.close();
});

const task = "add a docstring to add in src/util.py";

describe("hierocode route explain", () => {
  it("scores the task with repository signals and explains the choice", async () => {
    const run = await cli(["route", "explain", "-t", task, "--repo", repo, "--json"], env, repo);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.ok).toBe(true);
    expect(result.band).toBe("trivial");
    expect(result.kind).toBe("edit");
    expect(result.features.map((feature: { name: string }) => feature.name)).toEqual([
      "length",
      "target_size",
      "language",
    ]);
    expect(result.features[2].value).toBe("python");
    expect(result.provider).toBe("local");
    expect(result.model).toBe("qwen2.5-coder:7b");
    expect(result.candidates[1].eligible).toBe(true);
    expect(result.candidates.map((row: { model: string }) => row.model)).toEqual([
      "qwen2.5-coder:7b",
      "claude-haiku-4-5-20251001",
    ]);
    for (const row of result.candidates) {
      expect(row.p_success).toBeGreaterThan(0);
      expect(row.expected_cost).toBeGreaterThan(0);
    }
    // The capacity probe ran against the fake (the guards use the real context).
    expect(ollama.requests.some((request) => request.path === "/api/show")).toBe(true);

    const text = await cli(["route", "explain", "-t", task, "--repo", repo, "--mode", "matrix"], env, repo);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("route (matrix): local/qwen2.5-coder:7b");
    expect(text.stdout).toContain("language");
  });

  it("changes its choice after failures of the local model are logged, and the user's judgement counts", async () => {
    const store = outcomeStore(openLearningDatabase(env));
    const now = Date.now();
    for (let index = 0; index < 4; index++) {
      store.recordOutcome({
        runId: `r${index}`,
        unitId: "u1",
        at: now - 1000,
        project: repo,
        task,
        goal: task,
        band: "trivial",
        kind: "edit",
        complexity: 0.5,
        provider: "local",
        model: "qwen2.5-coder:7b",
        status: "accepted",
        autoSuccess: true,
        verdicts: 1,
        revisions: 0,
        escalated: false,
        editFailures: 0,
        inputTokens: 900,
        outputTokens: 200,
        seconds: 12,
        messages: 0,
      });
    }
    closeAllDatabases();
    // The automatic outcomes say success: the local model stays.
    const before = JSON.parse(
      (await cli(["route", "explain", "-t", task, "--repo", repo, "--json"], env, repo)).stdout,
    );
    expect(before.model).toBe("qwen2.5-coder:7b");
    // The user says each of them failed: that outweighs the automatic verdicts.
    for (let index = 0; index < 4; index++) {
      const logged = await cli(
        [
          "outcome",
          "log",
          "--run",
          `r${index}`,
          "--unit",
          "u1",
          "--success",
          "false",
          "--note",
          "wrong file",
        ],
        env,
        repo,
      );
      expect(logged.code).toBe(0);
    }
    const after = JSON.parse(
      (await cli(["route", "explain", "-t", task, "--repo", repo, "--json"], env, repo)).stdout,
    );
    expect(after.model).toBe("claude-haiku-4-5-20251001");
    expect(after.candidates[0].p_success).toBeLessThan(before.candidates[0].p_success);
    expect(after.candidates[0].evidence).toBeGreaterThan(0);

    const list = JSON.parse((await cli(["outcome", "list", "--json"], env, repo)).stdout);
    expect(list.outcomes).toHaveLength(4);
    expect(list.outcomes[0]).toMatchObject({ userSuccess: false, autoSuccess: true, note: "wrong file" });
    const text = await cli(["outcome", "list", "--since", "1h"], env, repo);
    expect(text.stdout).toContain("user: failure");
  });

  it("does not offer a candidate whose capacity probe fails (model missing on the server)", async () => {
    const configFile = join(home, "missing.yaml");
    writeFileSync(
      configFile,
      stringify({
        providers: { local: { type: "ollama", base_url: ollama.url, max_retries: 0 } },
        routing: {
          drafter: {
            provider: "local",
            model: "qwen2.5-coder:7b",
            candidates: [{ provider: "local", model: "missing-model:1b" }],
          },
        },
        router: { mode: "matrix" },
      }),
    );
    const run = await cli(
      ["route", "explain", "-t", task, "--repo", repo, "--json"],
      { ...env, HIEROCODE_CONFIG: configFile },
      repo,
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.model).toBe("qwen2.5-coder:7b");
    expect(result.candidates[1].eligible).toBe(false);
    expect(result.candidates[1].excluded).toMatch(/^capacity probe failed/);
  });

  it("refuses bad input with a usage error", async () => {
    const missing = await cli(
      ["outcome", "log", "--run", "nope", "--unit", "u1", "--success", "true"],
      env,
      repo,
    );
    expect(missing.code).toBe(ExitCode.usage);
    expect(missing.stderr).toContain("no outcome of unit 'u1' in run 'nope'");
    const badFeedback = await cli(
      ["outcome", "log", "--run", "r0", "--unit", "u1", "--success", "true", "--feedback", "2"],
      env,
      repo,
    );
    expect(badFeedback.code).toBe(ExitCode.usage);
    const badMode = await cli(["route", "explain", "-t", "x", "--mode", "random"], env, repo);
    expect(badMode.code).toBe(ExitCode.usage);
  });
});
