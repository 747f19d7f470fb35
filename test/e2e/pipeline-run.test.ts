/**
 * The built CLI against the fake model servers: planner on fake Anthropic, drafter on fake
 * Ollama, reviewer on fake OpenAI-compatible. Assertions are on the recorded wire requests.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import {
  gitIn,
  logRecords,
  makeSandbox,
  roleConfig,
  runCliProcess,
  type Sandbox,
  startCli,
} from "../pipeline/support/e2e.js";
import { files, searchReplace, unit, wholeFile } from "../pipeline/support/harness.js";

const addMul =
  "export function add(a: number, b: number): number {\n  return a + b;\n}\nexport const mul = (a: number, b: number) => a * b;\n";
const twoUnits = {
  summary: "add mul, simplify double",
  units: [unit("u1", ["src/app/math.ts"]), unit("u2", ["lib/deep/nested/util.py"], { depends_on: ["u1"] })],
};
const accept = { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } };
const goodU1 = { text: wholeFile("src/app/math.ts", addMul) };
const goodU2 = { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return x + x") };

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox;
const comparison: string[] = [];

beforeEach(async () => {
  anthropic = await startFakeAnthropic();
  ollama = await startFakeOllama();
  openai = await startFakeOpenAI();
  openai.script.setDefault(accept);
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
});

afterAll(() => {
  if (comparison.length > 0) {
    console.log(
      [
        "estimate vs actual — calls as planner/reviewer/drafter; tokens as planner+reviewer; $ = planner+reviewer",
        "| scenario | estimate: expected | estimate: worst case | actual |",
        "|---|---|---|---|",
        ...comparison,
      ].join("\n"),
    );
  }
});

function setup(policy: Record<string, unknown> = {}, extraFiles: Record<string, string> = {}) {
  sandbox = makeSandbox(
    roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }, policy),
    extraFiles,
  );
}

const plannerRequests = () => anthropic.requestsTo("/v1/messages");
const drafterRequests = () => ollama.requestsTo("/api/chat");
const reviewerRequests = () => openai.requestsTo("/v1/chat/completions");
const userText = (request: { body: { messages?: Array<{ role: string; content: unknown }> } }) =>
  (request.body.messages ?? [])
    .map((message) =>
      typeof message.content === "string" ? message.content : JSON.stringify(message.content),
    )
    .join("\n");

/** Runs `estimate --json` then `run --json`, records both for the closing comparison. */
async function estimateThenRun(name: string, task: string, extra: string[] = []) {
  const counts = () => ({
    planner: plannerRequests().length,
    drafter: drafterRequests().length,
    reviewer: reviewerRequests().length,
  });
  const before = counts();
  const estimate = await runCliProcess(sandbox, ["estimate", "-t", task, "--json"]);
  expect(estimate.code, estimate.stderr).toBe(0);
  expect(counts()).toEqual(before); // the estimate spends nothing
  const run = await runCliProcess(sandbox, ["run", "-t", task, "--json", ...extra]);
  const parsed = JSON.parse(run.stdout) as {
    totals: Record<
      string,
      {
        calls: number;
        costUsd: number;
        usage: {
          inputTokens: number;
          outputTokens: number;
          cacheReadTokens: number;
          cacheWriteTokens: number;
        };
      }
    >;
    diff: string;
    accepted: string[];
    failed: string[];
    units: Array<{ id: string; status: string; author: string; revisions: number }>;
    escalations: number;
    applicable: Array<{ file: string }>;
  };
  const { estimate: e } = JSON.parse(estimate.stdout) as {
    estimate: {
      expected: Record<string, { calls: number; inputTokens: number; outputTokens: number }>;
      worst: Record<string, { calls: number }>;
      totals: { expectedUsd: number; worstUsd: number };
    };
  };
  const t = parsed.totals;
  const cost = (t.planner?.costUsd ?? 0) + (t.reviewer?.costUsd ?? 0);
  const calls = (scenario: Record<string, { calls: number }>) =>
    `${scenario.planner?.calls}/${scenario.reviewer?.calls}/${scenario.drafter?.calls}`;
  const tokens = (scenario: Record<string, { inputTokens: number; outputTokens: number }>) =>
    `${scenario.planner?.inputTokens}+${scenario.reviewer?.inputTokens} in, ${scenario.planner?.outputTokens}+${scenario.reviewer?.outputTokens} out`;
  // Input counts every prompt token: plain, cache writes and cache reads.
  const actualTokens = (role: string, kind: "inputTokens" | "outputTokens") => {
    const usage = t[role]?.usage;
    if (!usage) return 0;
    return kind === "outputTokens"
      ? usage.outputTokens
      : usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  };
  comparison.push(
    `| ${name} | ${calls(e.expected)} · ${tokens(e.expected as never)} · $${e.totals.expectedUsd.toFixed(4)} | ${calls(e.worst)} · $${e.totals.worstUsd.toFixed(4)} | ${calls(t)} · ${actualTokens("planner", "inputTokens")}+${actualTokens("reviewer", "inputTokens")} in, ${actualTokens("planner", "outputTokens")}+${actualTokens("reviewer", "outputTokens")} out · $${cost.toFixed(4)} |`,
  );
  return { run, result: parsed };
}

describe("hierocode run (built CLI, fake servers)", { timeout: 60_000 }, () => {
  it("accepts units, each role on its own provider, and leaves the working tree alone", async () => {
    setup();
    anthropic.script.on({ system: "You are the planner" }, { json: twoUnits });
    ollama.script.on({ user: "Unit u1:" }, goodU1).on({ user: "Unit u2:" }, goodU2);
    const { run, result } = await estimateThenRun("accept", "add mul and simplify double");
    expect(run.code, run.stderr).toBe(0);
    expect(result.accepted).toEqual(["u1", "u2"]);
    expect(plannerRequests()).toHaveLength(1);
    expect(reviewerRequests()).toHaveLength(2);
    expect(
      reviewerRequests().every(
        (request) => request.body.model === "gpt-5.4-mini" && request.body.response_format,
      ),
    ).toBe(true);
    expect(
      anthropic.requestsTo("/v1/messages").every((request) => request.body.model === "claude-sonnet-4-6"),
    ).toBe(true);
    // The drafter gets the allocated window, and the planner saw nested files but not ignored ones.
    const sent = drafterRequests().map((request) => request.body.options?.num_ctx as number);
    expect(sent.every((numCtx) => numCtx >= 4096 && numCtx <= 32768)).toBe(true);
    const plannerPrompt = JSON.stringify(plannerRequests()[0]?.body);
    expect(plannerPrompt).toContain("lib/deep/nested/util.py");
    expect(plannerPrompt).not.toContain("build/ignored.js");
    expect(gitIn(sandbox, ["status", "--porcelain"]).stdout.trim()).toBe(""); // logs are git-ignored
    // The secrets of the environment never reach the log.
    expect(JSON.stringify(logRecords(sandbox))).not.toContain("0123456789abcdef");
  });

  it("prints a git-compatible diff, and --apply --yes writes exactly the accepted diffs", async () => {
    setup();
    anthropic.script.on({ system: "You are the planner" }, { json: twoUnits });
    ollama.script.on({ user: "Unit u1:" }, goodU1).on({ user: "Unit u2:" }, goodU2);
    const dry = await runCliProcess(sandbox, ["run", "-t", "add mul and simplify double"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("diff --git a/lib/deep/nested/util.py b/lib/deep/nested/util.py");
    expect(dry.stderr).toMatch(/units: 2 accepted, 0 failed/);
    const check = gitIn(sandbox, ["apply", "--check", "-"], dry.stdout);
    expect(check.status, check.stderr).toBe(0);
    const applied = await runCliProcess(sandbox, [
      "run",
      "-t",
      "add mul and simplify double",
      "--apply",
      "--yes",
    ]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(readFileSync(join(sandbox.repo, "src/app/math.ts"), "utf8")).toBe(addMul);
    const withoutIndex = (diff: string) =>
      diff
        .split("\n")
        .filter((line) => !line.startsWith("index "))
        .join("\n")
        .trimEnd();
    expect(withoutIndex(gitIn(sandbox, ["diff"]).stdout)).toBe(withoutIndex(applied.stdout));
    expect(readFileSync(join(sandbox.repo, "README.md"), "utf8")).toBe(files["README.md"]);
  });

  it("revises with feedback, then accepts", async () => {
    setup();
    anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: "s", units: [unit("u1", ["src/app/math.ts"])] } },
    );
    ollama.script
      .on(
        { user: "Unit u1:" },
        { text: wholeFile("src/app/math.ts", "export const add = 0;\n") },
        { times: 1 },
      )
      .on({ user: "Unit u1:" }, goodU1);
    openai.script.on(
      { user: "Unit u1:" },
      {
        json: {
          action: "revise",
          feedback: "keep add as a function",
          issues: ["add removed"],
          confidence: 0.9,
          sub_units: [],
        },
      },
      { times: 1 },
    );
    const { run, result } = await estimateThenRun("revise→accept", "add mul");
    expect(run.code, run.stderr).toBe(0);
    expect(result.units[0]?.revisions).toBe(1);
    expect(userText(drafterRequests()[1] as never)).toContain("keep add as a function");
    expect(userText(drafterRequests()[1] as never)).toContain("+export const add = 0;");
    expect(result.diff).toContain("+export const mul");
  });

  it("splits a unit into sub-units", async () => {
    setup();
    anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: "s", units: [unit("u1", ["src/app/math.ts"])] } },
    );
    openai.script.on(
      { user: "Unit u1:" },
      {
        json: {
          action: "split",
          feedback: "too much at once",
          issues: [],
          confidence: 0.9,
          sub_units: [
            { goal: "swap operands", target_files: ["src/app/math.ts"], acceptance: ["b + a"] },
            { goal: "add mul", target_files: ["src/app/math.ts"], acceptance: ["mul exported"] },
          ],
        },
      },
    );
    ollama.script
      .on(
        { user: "Unit u1.1:" },
        { text: searchReplace("src/app/math.ts", "  return a + b;", "  return b + a;") },
      )
      .on(
        { user: "Unit u1.2:" },
        {
          text: searchReplace(
            "src/app/math.ts",
            "}",
            "}\nexport const mul = (a: number, b: number) => a * b;",
          ),
        },
      )
      .on({ user: "Unit u1:" }, { text: wholeFile("src/app/math.ts", "export const everything = 1;\n") });
    const { run, result } = await estimateThenRun("split", "swap and add mul");
    expect(run.code, `${run.stderr}\n${JSON.stringify(result.units)}`).toBe(0);
    expect(result.units.map((item) => `${item.id}:${item.status}`)).toEqual([
      "u1:accepted",
      "u1.1:accepted",
      "u1.2:accepted",
    ]);
    expect(result.diff).toContain("+  return b + a;");
    expect(result.diff).toContain("+export const mul");
  });

  it("escalates to the planner with the feedback and the failed attempt when confirmed (--yes)", async () => {
    setup({ redirect_before_escalation: false }); // the redirect: compact-checkpoints.test.ts
    anthropic.script
      .on(
        { system: "You are the planner" },
        { json: { summary: "s", units: [unit("u1", ["src/app/math.ts"])] } },
      )
      .on({ system: "could not complete this unit" }, goodU1);
    ollama.script.on(
      { user: "Unit u1:" },
      { text: wholeFile("src/app/math.ts", "export const nonsense = 1;\n") },
    );
    openai.script.on(
      { user: "nonsense" },
      {
        json: {
          action: "escalate",
          feedback: "the drafter deleted add",
          issues: [],
          confidence: 0.9,
          sub_units: [],
        },
      },
    );
    const { run, result } = await estimateThenRun("escalate", "add mul", ["--yes"]);
    expect(run.code, run.stderr).toBe(0);
    expect(result.escalations).toBe(1);
    expect(result.units[0]?.author).toBe("planner");
    const escalation = plannerRequests()[1];
    expect(userText(escalation as never)).toContain("the drafter deleted add");
    expect(userText(escalation as never)).toContain("+export const nonsense = 1;");
    expect(reviewerRequests()).toHaveLength(2);
  });

  it("declines escalation without a terminal or --yes, and exits 12", async () => {
    setup({ redirect_before_escalation: false });
    anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: "s", units: [unit("u1", ["src/app/math.ts"])] } },
    );
    ollama.script.on({ user: "Unit u1:" }, goodU1);
    openai.script.on(
      { user: "Unit u1:" },
      { json: { action: "escalate", feedback: "no", issues: [], confidence: 0.9, sub_units: [] } },
    );
    const run = await runCliProcess(sandbox, ["run", "-t", "add mul"]);
    expect(run.code).toBe(12);
    expect(run.stderr).toMatch(/pass --yes to allow it/);
    expect(plannerRequests()).toHaveLength(1);
    expect(run.stdout).toBe("");
  });

  it("retries an invalid plan once with the problems", async () => {
    // Enough symbols for a repository map above Anthropic's 1,024-token minimum cacheable prefix.
    const library = Array.from(
      { length: 300 },
      (_, index) => `export function helper${index}(value: string): string {\n  return value;\n}\n`,
    ).join("");
    setup({}, { "src/lib/helpers.ts": library });
    anthropic.script
      .on({ system: "You are the planner" }, { text: "Here is the plan: {units: [oops" }, { times: 1 })
      .on(
        { system: "You are the planner" },
        { json: { summary: "s", units: [unit("u1", ["src/app/math.ts"])] } },
      );
    ollama.script.on({ user: "Unit u1:" }, goodU1);
    const { run, result } = await estimateThenRun("invalid plan→retry", "add mul");
    expect(run.code, run.stderr).toBe(0);
    expect(plannerRequests()).toHaveLength(2);
    expect(userText(plannerRequests()[1] as never)).toContain("Your plan was rejected");
    expect(result.accepted).toEqual(["u1"]);
    // The repository map is sent as a cached block: the retry reads it from Anthropic's cache,
    // and the ledger keeps cache reads and writes apart from plain input tokens.
    const usage = await runCliProcess(sandbox, ["usage", "--json"]);
    const planner = (
      JSON.parse(usage.stdout) as {
        groups: Array<{
          role: string;
          cacheReadTokens: number;
          cacheWriteTokens: number;
          inputTokens: number;
          costUsd: number;
        }>;
      }
    ).groups.find((group) => group.role === "planner");
    expect(planner?.cacheWriteTokens).toBeGreaterThan(0);
    expect(planner?.cacheReadTokens).toBe(planner?.cacheWriteTokens);
    expect(planner?.costUsd).toBeCloseTo(
      ((planner?.inputTokens ?? 0) * 3 +
        (planner?.cacheWriteTokens ?? 0) * 3.75 +
        (planner?.cacheReadTokens ?? 0) * 0.3 +
        (result.totals.planner?.usage.outputTokens ?? 0) * 15) /
        1e6,
      9,
    );
  });

  it("sends an edit that does not apply back to the drafter with the report, then recovers", async () => {
    setup();
    anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: "s", units: [unit("u2", ["lib/deep/nested/util.py"])] } },
    );
    ollama.script
      .on(
        { user: "Unit u2:" },
        { text: searchReplace("lib/deep/nested/util.py", "  return x*2", "    return x + x") },
        { times: 1 },
      )
      .on({ user: "Unit u2:" }, goodU2);
    const { run, result } = await estimateThenRun("edit fails→recovers", "simplify double");
    expect(run.code, run.stderr).toBe(0);
    expect(drafterRequests()).toHaveLength(2);
    expect(userText(drafterRequests()[1] as never)).toMatch(/failed to apply[\s\S]*return x \* 2/);
    expect(reviewerRequests()).toHaveLength(1);
    expect(result.diff).toContain("+    return x + x");
  });

  it("reuses the cached plan: zero planner calls; cache clear forgets it", async () => {
    setup();
    anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: "s", units: [unit("u1", ["src/app/math.ts"])] } },
    );
    ollama.script.on({ user: "Unit u1:" }, goodU1);
    expect((await runCliProcess(sandbox, ["run", "-t", "add mul"])).code).toBe(0);
    const { run, result } = await estimateThenRun("cache hit", "add mul");
    expect(run.code, run.stderr).toBe(0);
    expect(plannerRequests()).toHaveLength(1);
    expect(result.totals.planner?.calls).toBe(0);
    const cleared = await runCliProcess(sandbox, ["cache", "clear"]);
    expect(cleared.stdout).toContain("removed 1 cached plan");
    expect((await runCliProcess(sandbox, ["plan", "-t", "add mul", "--json"])).code).toBe(0);
    expect(plannerRequests()).toHaveLength(2);
  });

  it("resumes a killed run without repeating the plan or finished units", async () => {
    setup();
    anthropic.script.on({ system: "You are the planner" }, { json: twoUnits });
    ollama.script
      .on({ user: "Unit u1:" }, goodU1)
      .on({ user: "Unit u2:" }, "hang", { times: 1 })
      .on({ user: "Unit u2:" }, goodU2);
    const first = startCli(sandbox, ["run", "-t", "add mul and simplify double"]);
    await ollama.waitForRequests(2, "/api/chat");
    first.child.kill("SIGKILL");
    await first.done;
    const runId = logRecords(sandbox).find((record) => record.type === "run")?.runId as string;
    expect(runId).toBeTruthy();
    const resumed = await runCliProcess(sandbox, ["run", "--resume", runId, "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = JSON.parse(resumed.stdout) as { accepted: string[]; diff: string; resumed: boolean };
    expect(result.resumed).toBe(true);
    expect(result.accepted).toEqual(["u1", "u2"]);
    expect(plannerRequests()).toHaveLength(1);
    expect(
      drafterRequests().filter((request) => userText(request as never).includes("Unit u1:")),
    ).toHaveLength(1);
    expect(result.diff).toContain("+export const mul");
    expect(result.diff).toContain("+    return x + x");
  });

  it("Ctrl-C cancels the in-flight call and leaves a consistent log", async () => {
    setup();
    anthropic.script.on({ system: "You are the planner" }, { json: twoUnits });
    ollama.script.on({ user: "Unit u1:" }, "hang");
    const run = startCli(sandbox, ["run", "-t", "add mul and simplify double"]);
    await ollama.waitForRequests(1, "/api/chat");
    run.child.kill("SIGINT");
    const done = await run.done;
    expect(done.code).toBe(130);
    const records = logRecords(sandbox);
    expect(records.at(-1)?.type).toBe("aborted");
    const usage = await runCliProcess(sandbox, ["usage", "--json"]);
    const report = JSON.parse(usage.stdout) as { groups: Array<{ role: string; errors: number }> };
    expect(report.groups.find((group) => group.role === "drafter")?.errors).toBe(1);
  });
});
