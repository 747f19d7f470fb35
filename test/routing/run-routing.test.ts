/**
 * The router inside `hierocode run` (built CLI, fake servers): router.mode matrix sends a
 * refactor unit to the API candidate and a trivial one to the local drafter; every unit's outcome
 * and decision land in the user-level store, and `outcome list` / `route replay` read them.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { searchReplace, unit, wholeFile } from "../pipeline/support/harness.js";

const accept = { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } };
const plan = {
  summary: "refactor add, simplify double",
  units: [
    unit("u1", ["src/app/math.ts"], { goal: "refactor add into a generic sum helper" }),
    unit("u2", ["lib/deep/nested/util.py"], { goal: "simplify double" }),
  ],
};
const haiku = "claude-haiku-4-5-20251001";

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox | undefined;

beforeEach(async () => {
  [anthropic, ollama, openai] = await Promise.all([
    startFakeAnthropic(),
    startFakeOllama(),
    startFakeOpenAI(),
  ]);
  openai.script.setDefault(accept);
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
  if (sandbox) rmSync(dirname(sandbox.repo), { recursive: true, force: true });
  sandbox = undefined;
});

function setup(mode: string) {
  const config = roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl });
  const routing = config.routing as Record<string, Record<string, unknown>>;
  routing.drafter = { ...routing.drafter, candidates: [{ provider: "api", model: haiku }] };
  sandbox = makeSandbox({ ...config, router: { mode } });
  anthropic.script.on({ system: "You are the planner" }, { json: plan });
  anthropic.script.on(
    { model: haiku },
    {
      text: wholeFile(
        "src/app/math.ts",
        "export function add(a: number, b: number): number {\n  return [a, b].reduce((x, y) => x + y, 0);\n}\n",
      ),
    },
  );
  ollama.script.on(
    { user: "Unit u2:" },
    { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return x + x") },
  );
  ollama.script.on(
    { user: "Unit u1:" },
    { text: wholeFile("src/app/math.ts", "export const add = (a: number, b: number) => a + b;\n") },
  );
}

describe("routing inside hierocode run", { timeout: 60_000 }, () => {
  it("matrix: the refactor unit goes to the API candidate, the trivial one stays local; outcomes are logged", async () => {
    setup("matrix");
    const current = sandbox as Sandbox;
    const run = await runCliProcess(current, ["run", "-t", "refactor add and simplify double", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { accepted: string[]; runId: string };
    expect(result.accepted).toEqual(["u1", "u2"]);
    // The live view (plain off a terminal) shows each unit's complexity and the router's choice.
    const stderrLines = run.stderr.split("\n");
    expect(stderrLines).toContain(`u1 complexity 2.1 (simple, refactor) → api/${haiku}`);
    expect(
      stderrLines.some((line) =>
        /^u2 complexity \d\.\d \(trivial, edit\) → local\/qwen2\.5-coder:7b$/.test(line),
      ),
    ).toBe(true);
    expect(stderrLines).toContain(`u1 drafting (${haiku})`);
    const drafts = anthropic.requestsTo("/v1/messages").filter((request) => request.body.model === haiku);
    expect(drafts).toHaveLength(1);
    expect(JSON.stringify(drafts[0]?.body)).toContain("Unit u1:");
    const local = ollama.requestsTo("/api/chat");
    expect(local).toHaveLength(1);
    expect(JSON.stringify(local[0]?.body)).toContain("Unit u2:");

    const list = await runCliProcess(current, ["outcome", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    const outcomes = (JSON.parse(list.stdout) as { outcomes: Array<Record<string, unknown>> }).outcomes;
    expect(
      outcomes.map((row) => [row.unitId, row.provider, row.model, row.autoSuccess, row.kind, row.band]),
    ).toEqual([
      ["u1", "api", haiku, true, "refactor", "simple"],
      ["u2", "local", "qwen2.5-coder:7b", true, "edit", "trivial"],
    ]);
    expect(outcomes[0]?.verdicts).toBe(1);
    expect(outcomes[0]?.outputTokens).toBeGreaterThan(0);
    expect(outcomes[0]?.runId).toBe(result.runId);

    // plan and estimate show the router's scores.
    const planned = await runCliProcess(current, [
      "plan",
      "-t",
      "refactor add and simplify double",
      "--json",
    ]);
    expect(planned.code, planned.stderr).toBe(0);
    const scores = (
      JSON.parse(planned.stdout) as {
        scores: Record<
          string,
          { score: number; band: string; kind: string; features: Array<{ name: string }> }
        >;
      }
    ).scores;
    expect(scores.u1).toMatchObject({ band: "simple", kind: "refactor" });
    expect(scores.u1?.features.map((feature) => feature.name)).toContain("refactor_words");
    expect(scores.u2).toMatchObject({ band: "trivial", kind: "edit" });
    const planText = await runCliProcess(current, ["plan", "-t", "refactor add and simplify double"]);
    expect(planText.stdout).toMatch(
      /scored \d+(\.\d)? \(simple, refactor\): length \+0\.1, refactor_words \+2/,
    );
    const estimate = await runCliProcess(current, [
      "estimate",
      "-t",
      "refactor add and simplify double",
      "--json",
    ]);
    expect(estimate.code, estimate.stderr).toBe(0);
    const complexity = (
      JSON.parse(estimate.stdout) as { complexity: { score: number; features: Array<{ name: string }> } }
    ).complexity;
    expect(complexity.features.map((feature) => feature.name)).toEqual(["length", "refactor_words"]);
    expect(complexity.score).toBe(2.1);
    const estimateText = await runCliProcess(current, ["estimate", "-t", "refactor add and simplify double"]);
    expect(estimateText.code, estimateText.stderr).toBe(0);
    expect(estimateText.stdout).toMatch(/complexity 2\.1 \(simple\): length \+0\.1, refactor_words \+2/);

    const replay = await runCliProcess(current, ["route", "replay", "--json"]);
    expect(replay.code, replay.stderr).toBe(0);
    const policies = (JSON.parse(replay.stdout) as { policies: Array<Record<string, unknown>> }).policies;
    const byName = Object.fromEntries(policies.map((row) => [row.policy, row]));
    // The logged policy was matrix: it matches both units; fixed would only have chosen u2's drafter.
    expect(byName.matrix).toMatchObject({ logged: 2, matched: 2, success_rate: 1 });
    expect(byName.fixed).toMatchObject({ logged: 2, matched: 1 });
  });

  it("fixed (the default) drafts every unit with the role's own model and still logs outcomes", async () => {
    setup("fixed");
    const current = sandbox as Sandbox;
    const run = await runCliProcess(current, ["run", "-t", "refactor add and simplify double", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(
      anthropic.requestsTo("/v1/messages").filter((request) => request.body.model === haiku),
    ).toHaveLength(0);
    expect(ollama.requestsTo("/api/chat")).toHaveLength(2);
    // Fixed mode: the view still shows complexity, with no router choice.
    expect(run.stderr.split("\n")).toContain("u1 complexity 2.1 (simple, refactor)");
    const list = JSON.parse((await runCliProcess(current, ["outcome", "list", "--json"])).stdout) as {
      outcomes: Array<{ model: string }>;
    };
    expect(list.outcomes.map((row) => row.model)).toEqual(["qwen2.5-coder:7b", "qwen2.5-coder:7b"]);
  });
});
