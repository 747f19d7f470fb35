/**
 * `hierocode eval run` on a user suite through the built CLI against the fake Ollama server:
 * scripted replies (correct edits, wrong edits, garbage, a cut-off reply) give pass rates known
 * in advance, and the hidden tests never reach the model.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { evalPriors } from "../../src/eval/report.js";
import type { ModelReport } from "../../src/eval/run.js";
import { wilson } from "../../src/eval/stats.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { makeSandbox, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { searchReplace, wholeFile } from "../pipeline/support/harness.js";

let ollama: FakeOllama;
let sandbox: Sandbox;

const QWEN = "qwen2.5-coder:7b";
const LLAMA = "llama3.2:latest";
const HIDDEN = "HIDDEN_ASSERTION_MARK";

const suite = [
  {
    id: "t1",
    language: "python",
    instruction: "add must return the sum",
    files: { "calc.py": "def add(a, b):\n    return a - b\n" },
    hidden_files: { "test_calc.py": `# ${HIDDEN}\nfrom calc import add\nassert add(2, 3) == 5\n` },
    test: "python3 test_calc.py",
  },
  {
    id: "t2",
    language: "python",
    instruction: "up must upper-case its argument",
    files: { "names.py": "def up(s):\n    return s\n" },
    test: `python3 -c "from names import up; assert up('a') == 'A'"`,
  },
  {
    id: "t3",
    language: "typescript",
    instruction: "double must return twice its argument",
    files: { "mathx.ts": "export function double(x: number): number {\n  return x;\n}\n" },
    hidden_files: {
      "check.test.mjs": `// ${HIDDEN}\nimport test from "node:test";\nimport assert from "node:assert/strict";\nimport { double } from "./mathx.ts";\ntest("double", () => assert.equal(double(4), 8));\n`,
    },
    test: "node --experimental-strip-types --no-warnings --test check.test.mjs",
  },
  {
    id: "t4",
    language: "python",
    instruction: "a score of exactly 50 passes",
    files: { "grades.py": "def is_pass(score):\n    return score > 50\n" },
    hidden_files: { "test_grades.py": `# ${HIDDEN}\nfrom grades import is_pass\nassert is_pass(50)\n` },
    test: "python3 test_grades.py",
  },
  {
    id: "t5",
    language: "typescript",
    instruction: "slug must lowercase",
    files: { "slug.ts": "export function slug(s: string): string {\n  return s;\n}\n" },
    hidden_files: {
      "check.mjs": `// ${HIDDEN}\nimport assert from "node:assert/strict";\nimport { slug } from "./slug.ts";\nassert.equal(slug("AB"), "ab");\n`,
    },
    test: "node --experimental-strip-types --no-warnings check.mjs",
  },
];

const garbage = { text: "I think the function is fine as it is." };

beforeEach(async () => {
  ollama = await startFakeOllama();
  sandbox = makeSandbox({
    providers: { local: { type: "ollama", base_url: ollama.url, max_retries: 0 } },
    routing: { drafter: { provider: "local", model: QWEN } },
  });
  writeFileSync(
    join(sandbox.repo, "suite.jsonl"),
    `${suite.map((task) => JSON.stringify(task)).join("\n")}\n`,
  );
  // qwen: t1, t2, t3 right; t4 applies but is wrong; t5 garbage → pass 3/5, well-formed 4/5.
  ollama.script
    .on(
      { model: QWEN, user: "calc.py" },
      { text: searchReplace("calc.py", "    return a - b", "    return a + b") },
    )
    .on(
      { model: QWEN, user: "names.py" },
      { text: wholeFile("names.py", "def up(s):\n    return s.upper()\n") },
    )
    .on(
      { model: QWEN, user: "mathx.ts" },
      { text: searchReplace("mathx.ts", "  return x;", "  return x * 2;") },
    )
    .on(
      { model: QWEN, user: "grades.py" },
      { text: searchReplace("grades.py", "    return score > 50", "    return score > 51") },
    )
    .on({ model: QWEN, user: "slug.ts" }, garbage)
    // llama: t1 cut off; t2 wrong whole file; t3, t5 right; t4 garbage → pass 2/5, well-formed 3/5, truncated 1.
    .on(
      { model: LLAMA, user: "calc.py" },
      { text: searchReplace("calc.py", "    return a - b", "    return a + b"), finishReason: "length" },
    )
    .on(
      { model: LLAMA, user: "names.py" },
      { text: wholeFile("names.py", "def up(s):\n    return s.lower()\n") },
    )
    .on(
      { model: LLAMA, user: "mathx.ts" },
      { text: searchReplace("mathx.ts", "  return x;", "  return 2 * x;") },
    )
    .on({ model: LLAMA, user: "grades.py" }, garbage)
    .on(
      { model: LLAMA, user: "slug.ts" },
      { text: searchReplace("slug.ts", "  return s;", "  return s.toLowerCase();") },
    );
});

afterEach(async () => {
  await ollama.close();
});

describe("eval run on a user suite", { timeout: 90_000 }, () => {
  it("reports exact pass@1, well-formed and truncated counts per model", async () => {
    const run = await runCliProcess(sandbox, [
      "eval",
      "run",
      "--suite",
      "suite.jsonl",
      "--models",
      `local/${QWEN},${LLAMA}`,
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    const parsed = JSON.parse(run.stdout) as { ok: boolean; models: ModelReport[]; report: { json: string } };
    expect(parsed.ok).toBe(true);
    const [qwen, llama] = parsed.models as [ModelReport, ModelReport];
    expect(qwen).toMatchObject({
      model: QWEN,
      provider: "local",
      tasks: 5,
      passed: 3,
      pass_at_1: 0.6,
      pass_at_1_ci: wilson(3, 5).interval,
      well_formed_rate: 0.8,
      well_formed_ci: wilson(4, 5).interval,
      truncated: 0,
    });
    expect(qwen.results.map((result) => [result.id, result.passed, result.well_formed])).toEqual([
      ["t1", true, true],
      ["t2", true, true],
      ["t3", true, true],
      ["t4", false, true],
      ["t5", false, false],
    ]);
    expect(llama).toMatchObject({
      model: LLAMA,
      provider: "local",
      tasks: 5,
      passed: 2,
      pass_at_1: 0.4,
      well_formed_rate: 0.6,
      truncated: 1,
    });
    expect(llama.results.map((result) => [result.id, result.passed])).toEqual([
      ["t1", false],
      ["t2", false],
      ["t3", true],
      ["t4", false],
      ["t5", true],
    ]);
    expect(llama.results[0]?.reason).toMatch(/^truncated/);
    // 95% Wilson interval for 3 of 5.
    expect(qwen.pass_at_1_ci).toEqual([0.2307, 0.8824]);
    for (const model of [qwen, llama]) {
      expect(model.tokens_in).toBeGreaterThan(0);
      expect(model.tokens_out).toBeGreaterThan(0);
      expect(model.latency_p95_ms).toBeGreaterThanOrEqual(model.latency_p50_ms);
    }
    // One drafter call per task and model; the hidden tests never reached the model.
    const chats = ollama.requestsTo("/api/chat");
    expect(chats).toHaveLength(10);
    for (const request of chats) {
      const body = JSON.stringify(request.body);
      expect(body).not.toContain(HIDDEN);
      expect(body).not.toContain("test_calc");
    }
    // Priors for the router, per language, from the saved report.
    const priors = evalPriors(sandbox.env);
    expect(priors.find((prior) => prior.model === QWEN)?.languages).toEqual({
      python: { successes: 2, trials: 3 },
      typescript: { successes: 1, trials: 2 },
    });
    expect(priors.find((prior) => prior.model === LLAMA)?.languages).toEqual({
      python: { successes: 0, trials: 3 },
      typescript: { successes: 2, trials: 2 },
    });

    // The report shows the latest run and the trend.
    const again = await runCliProcess(sandbox, [
      "eval",
      "run",
      "--suite",
      "suite.jsonl",
      "--tasks",
      "2",
      "--json",
    ]);
    expect(again.code, again.stderr).toBe(0);
    const report = await runCliProcess(sandbox, ["eval", "report", "--json"]);
    const shown = JSON.parse(report.stdout) as {
      latest: { models: ModelReport[] };
      trend: Record<string, Array<{ pass_at_1: number; tasks: number }>>;
    };
    expect(shown.latest.models.map((model) => [model.model, model.tasks, model.pass_at_1])).toEqual([
      [QWEN, 2, 1],
    ]);
    expect(shown.trend[`local/${QWEN}`]?.map((point) => point.pass_at_1)).toEqual([0.6, 1]);
    expect(shown.trend[`local/${LLAMA}`]?.map((point) => point.pass_at_1)).toEqual([0.4]);
    const human = await runCliProcess(sandbox, ["eval", "report"]);
    expect(human.stdout).toContain(`local/${QWEN}: 60.0% → 100.0%`);
  });

  it("refuses a broken suite and an unknown model with exit codes", async () => {
    writeFileSync(join(sandbox.repo, "bad.jsonl"), "{not json\n");
    const bad = await runCliProcess(sandbox, ["eval", "run", "--suite", "bad.jsonl"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.jsonl:1: not JSON/);
    const missing = await runCliProcess(sandbox, [
      "eval",
      "run",
      "--suite",
      "suite.jsonl",
      "--models",
      "local/nope:1b",
    ]);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toMatch(/nope:1b/);
  });

  it("prints a weekly schedule", async () => {
    const cron = await runCliProcess(sandbox, ["eval", "schedule", "--weekly", "--cron"]);
    expect(cron.code, cron.stderr).toBe(0);
    expect(cron.stdout).toMatch(/^17 3 \* \* 1 \S+ \S+main\.js eval run >> \S+scheduled\.log 2>&1\n$/);
    const timer = await runCliProcess(sandbox, ["eval", "schedule", "--weekly"]);
    expect(timer.stdout).toContain("OnCalendar=weekly");
    expect(timer.stdout).toMatch(/ExecStart=\S+ \S+main\.js eval run/);
  });
});
