/**
 * Adaptive evaluation tasks: `hierocode run --verify` keeps an accepted, verified unit (its
 * before-file, goal and verify command); `hierocode eval run --suite adaptive` replays it through
 * the real drafting path against the fake Ollama server and judges the draft with the verify
 * command in a throwaway clone of the project. Pass rates are known in advance; the project's
 * test and the accepted reference never reach the model.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureAdaptiveTasks, listAdaptiveTasks } from "../../src/eval/adaptive.js";
import { wilson } from "../../src/eval/stats.js";
import type { PipelineResult } from "../../src/pipeline/pipeline-types.js";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { gitIn, makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { files, searchReplace, unit } from "../pipeline/support/harness.js";

const QWEN = "qwen2.5-coder:7b";
const LLAMA = "llama3.2:latest";
const MARK = "PROJECT_TEST_MARK";

// The project's test: math.ts must have a correct sub().
const checkScript = `// ${MARK}
import { readFileSync } from "node:fs";
const source = readFileSync("src/app/math.ts", "utf8");
if (!source.includes("export function sub(a: number, b: number): number {\\n  return a - b;")) {
  console.log("FAIL math.ts: sub(5, 2) is missing or wrong");
  process.exit(1);
}
console.log("ok");
`;

const addSub = (body: string) =>
  searchReplace(
    "src/app/math.ts",
    "  return a + b;\n}",
    `  return a + b;\n}\n\nexport function sub(a: number, b: number): number {\n  return ${body};\n}`,
  );

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox;
const accept = { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } };

beforeEach(async () => {
  anthropic = await startFakeAnthropic();
  ollama = await startFakeOllama();
  openai = await startFakeOpenAI();
  anthropic.script.on(
    { system: "You are the planner" },
    {
      json: {
        summary: "s",
        units: [unit("u1", ["src/app/math.ts"], { goal: "add sub(a, b) returning a minus b" })],
      },
    },
  );
  openai.script.setDefault(accept);
  ollama.script
    .on({ model: QWEN, user: "src/app/math.ts" }, { text: addSub("a - b") })
    .on({ model: LLAMA, user: "src/app/math.ts" }, { text: addSub("b - a") });
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
  if (sandbox) rmSync(dirname(sandbox.repo), { recursive: true, force: true });
});

function setup(memory: Record<string, unknown> = {}) {
  sandbox = makeSandbox(
    {
      ...roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }),
      ...(Object.keys(memory).length > 0 ? { memory } : {}),
    },
    { "check.mjs": checkScript },
  );
}

interface EvalJson {
  ok: boolean;
  suite: string;
  models: Array<{
    model: string;
    tasks: number;
    passed: number;
    pass_at_1: number;
    pass_at_1_ci: [number, number];
    well_formed_rate: number;
    results: Array<{ id: string; passed: boolean; reason?: string }>;
  }>;
  skipped: Array<{ id: string; reason: string }>;
}

describe("adaptive evaluation tasks", { timeout: 90_000 }, () => {
  it("keeps an accepted, verified unit and replays it: exact pass rates, hidden test never sent", async () => {
    setup();
    const run = await runCliProcess(sandbox, [
      "run",
      "-t",
      "add sub",
      "--verify",
      "node check.mjs",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    const { runId } = JSON.parse(run.stdout) as { runId: string };
    const stored = listAdaptiveTasks(sandbox.env);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      runId,
      unitId: "u1",
      project: sandbox.repo,
      language: "typescript",
      instruction: "add sub(a, b) returning a minus b",
      target: "src/app/math.ts",
      before: files["src/app/math.ts"],
      test: "node check.mjs",
      timeoutSeconds: 600,
    });
    expect(stored[0]?.after).toContain("  return a - b;");

    const before = ollama.requestsTo("/api/chat").length;
    const evaluation = await runCliProcess(sandbox, [
      "eval",
      "run",
      "--suite",
      "adaptive",
      "--models",
      `local/${QWEN},${LLAMA}`,
      "--json",
    ]);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const parsed = JSON.parse(evaluation.stdout) as EvalJson;
    expect(parsed.suite).toBe("adaptive");
    expect(parsed.skipped).toEqual([]);
    const [qwen, llama] = parsed.models;
    expect(qwen).toMatchObject({ model: QWEN, tasks: 1, passed: 1, pass_at_1: 1, well_formed_rate: 1 });
    expect(qwen?.pass_at_1_ci).toEqual(wilson(1, 1).interval);
    expect(qwen?.results[0]?.id).toBe(`${runId}/u1`);
    expect(llama).toMatchObject({ model: LLAMA, tasks: 1, passed: 0, pass_at_1: 0, well_formed_rate: 1 });
    expect(llama?.results[0]?.reason).toMatch(/^verify command exited 1/);
    // One drafting call per model; neither the project's test nor the reference reached a model.
    const chats = ollama.requestsTo("/api/chat").slice(before);
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      const body = JSON.stringify(chat.body);
      expect(body).toContain("add sub(a, b) returning a minus b");
      expect(body).not.toContain(MARK);
      expect(body).not.toContain("export function sub");
    }
    // The user's tree is untouched by the replay.
    expect(gitIn(sandbox, ["status", "--porcelain"]).stdout).toBe("");
  });

  it("skips a task whose reference no longer passes, and refuses when none is left", async () => {
    setup();
    const run = await runCliProcess(sandbox, [
      "run",
      "-t",
      "add sub",
      "--verify",
      "node check.mjs",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    // The project moved on: its test now asks for something the accepted change does not do.
    writeFileSync(join(sandbox.repo, "check.mjs"), "console.log('FAIL: needs mul'); process.exit(1);\n");
    const evaluation = await runCliProcess(sandbox, ["eval", "run", "--suite", "adaptive"]);
    expect(evaluation.code).toBe(2);
    expect(evaluation.stderr).toMatch(
      /error: no task can be evaluated: .*\/u1: the accepted reference no longer passes/,
    );
  });

  it("keeps nothing with memory.adaptive false, and says so when asked to replay", async () => {
    setup({ adaptive: false });
    const run = await runCliProcess(sandbox, [
      "run",
      "-t",
      "add sub",
      "--verify",
      "node check.mjs",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(listAdaptiveTasks(sandbox.env)).toEqual([]);
    const evaluation = await runCliProcess(sandbox, ["eval", "run", "--suite", "adaptive"]);
    expect(evaluation.code).toBe(2);
    expect(evaluation.stderr).toMatch(/error: no adaptive tasks yet/);
  });

  it("keeps nothing without verification", async () => {
    setup();
    const run = await runCliProcess(sandbox, ["run", "-t", "add sub", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(listAdaptiveTasks(sandbox.env)).toEqual([]);
  });
});

describe("captureAdaptiveTasks", () => {
  const unitResult = (
    id: string,
    changes: Array<{ file: string; before: string | null; after: string | null }>,
  ) => ({
    id,
    goal: `goal of ${id}`,
    status: "accepted" as const,
    author: "drafter" as const,
    changes,
    diff: "",
    revisions: 0,
    editRetries: 0,
    escalated: false,
    verdicts: [],
    findings: [],
    verified: true,
  });

  function result(units: ReturnType<typeof unitResult>[]): PipelineResult {
    return {
      runId: "r1",
      plan: {
        summary: "s",
        units: units.map((item) =>
          unit(
            item.id,
            item.changes.map((change) => change.file),
            { context_files: ["lib/ctx.py", "missing.py"] },
          ),
        ),
      },
      units,
      changes: units.flatMap((item) => item.changes),
      verification: {
        command: "npm test",
        baseline: { ok: true },
        rounds: 1,
        newFailures: [],
        verifiedUnits: units.map((item) => item.id),
        unverifiedUnits: [],
      },
    } as unknown as PipelineResult;
  }

  it("refuses secrets, large files, several files and a deleted file; stores the rest", () => {
    const base = mkdtempSync(join(tmpdir(), "haco-adaptive-"));
    const dataDir = join(base, "data");
    const env = { HIEROCODE_DATA_DIR: dataDir, HOME: dataDir };
    try {
      mkdirSync(join(dataDir, "lib"), { recursive: true });
      writeFileSync(join(dataDir, "lib", "ctx.py"), "BASE = 1\n");
      const key = ["ghp", "_", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"].join("");
      const report = captureAdaptiveTasks({
        env,
        config: { memory: { enabled: true, adaptive: true }, policy: { verify_timeout_seconds: 30 } },
        repoRoot: dataDir,
        result: result([
          unitResult("ok", [{ file: "a.py", before: "x = 1\n", after: "x = 2\n" }]),
          unitResult("secret", [{ file: "b.py", before: "x = 1\n", after: `token = "${key}"\n` }]),
          unitResult("large", [{ file: "c.py", before: "", after: "#".repeat(70_000) }]),
          unitResult("two", [
            { file: "d.py", before: "1", after: "2" },
            { file: "e.py", before: "1", after: "2" },
          ]),
          unitResult("gone", [{ file: "f.py", before: "1", after: null }]),
        ]),
      });
      expect(report.stored).toEqual(["ok"]);
      expect(report.skipped.map((item) => [item.unit, item.reason])).toEqual([
        ["secret", "b.py holds what looks like a secret"],
        ["large", "c.py is larger than 65536 characters"],
        ["two", "changed 2 files (adaptive tasks are single-file units)"],
        ["gone", "deleted its file"],
      ]);
      const stored = listAdaptiveTasks(env);
      expect(stored.map((task) => [task.unitId, task.language, task.test, task.timeoutSeconds])).toEqual([
        ["ok", "python", "npm test", 30],
      ]);
      // The context file's content before the run is kept (a missing one is left out).
      expect(stored[0]?.context).toEqual({ "lib/ctx.py": "BASE = 1\n" });
      expect(JSON.stringify(stored)).not.toContain(key);
      // memory.enabled false: nothing at all.
      const off = captureAdaptiveTasks({
        env,
        config: { memory: { enabled: false }, policy: { verify_timeout_seconds: 30 } },
        repoRoot: dataDir,
        result: result([unitResult("ok2", [{ file: "a.py", before: "x = 1\n", after: "x = 3\n" }])]),
      });
      expect(off).toEqual({ stored: [], skipped: [] });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
