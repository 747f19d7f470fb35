/**
 * `run --verify`: the project's test command runs in an isolated worktree after the units; new
 * failures go back through the reviewer to the responsible unit; --apply writes verified work only.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { files, searchReplace, unit } from "../pipeline/support/harness.js";

// The project's "test suite": fails when add() subtracts.
const checkScript = `import { readFileSync } from "node:fs";
const source = readFileSync("src/app/math.ts", "utf8");
if (source.includes("a - b")) { console.log("FAIL math.ts: add(1, 2) returned -1, expected 3"); process.exit(1); }
console.log("ok");
`;

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
    { json: { summary: "s", units: [unit("u1", ["src/app/math.ts"]), unit("u2", ["src/app/strings.ts"])] } },
  );
  openai.script
    .on(
      { user: "tests fail" },
      {
        json: {
          action: "revise",
          feedback: "add must add, not subtract",
          issues: [],
          confidence: 0.9,
          sub_units: [],
        },
      },
    )
    .setDefault(accept);
  ollama.script.on(
    { user: "Unit u2:" },
    { text: searchReplace("src/app/strings.ts", "  return text.toUpperCase();", "  return text;") },
  );
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
});

function setup(policy: Record<string, unknown> = {}) {
  sandbox = makeSandbox(
    roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }, policy),
    { "check.mjs": checkScript },
  );
}

describe("hierocode run --verify", { timeout: 60_000 }, () => {
  it("sends new test failures back through the reviewer and verifies the fix", async () => {
    setup();
    ollama.script
      .on(
        { user: "Failing tests" },
        { text: searchReplace("src/app/math.ts", "  return a - b;", "  return a + b + 0;") },
      )
      .on(
        { user: "Unit u1:" },
        { text: searchReplace("src/app/math.ts", "  return a + b;", "  return a - b;") },
      );
    const run = await runCliProcess(sandbox, [
      "run",
      "-t",
      "tweak math and strings",
      "--verify",
      "node check.mjs",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      verification: { rounds: number; verifiedUnits: string[]; baseline: { ok: boolean } };
      diff: string;
    };
    expect(result.verification.baseline.ok).toBe(true);
    expect(result.verification.rounds).toBe(1);
    expect(result.verification.verifiedUnits).toEqual(["u1", "u2"]);
    expect(result.diff).toContain("+  return a + b + 0;");
    const failureReview = openai
      .requestsTo("/v1/chat/completions")
      .find((request) => JSON.stringify(request.body).includes("tests fail"));
    expect(JSON.stringify(failureReview?.body)).toContain("add(1, 2) returned -1");
    // The user's working tree was never touched by the verification.
    expect(readFileSync(join(sandbox.repo, "src/app/math.ts"), "utf8")).toBe(files["src/app/math.ts"]);
  });

  it("applies only verified units when a failure persists, and exits 11", async () => {
    setup({ max_verify_rounds: 1 });
    ollama.script
      .on(
        { user: "Failing tests" },
        { text: searchReplace("src/app/math.ts", "  return a - b;", "  return a - b; // still") },
      )
      .on(
        { user: "Unit u1:" },
        { text: searchReplace("src/app/math.ts", "  return a + b;", "  return a - b;") },
      );
    const run = await runCliProcess(sandbox, [
      "run",
      "-t",
      "tweak math and strings",
      "--verify",
      "node check.mjs",
      "--apply",
      "--yes",
    ]);
    expect(run.code, run.stderr).toBe(11);
    expect(run.stderr).toMatch(/accepted u1: .*tests fail/);
    expect(readFileSync(join(sandbox.repo, "src/app/math.ts"), "utf8")).toBe(files["src/app/math.ts"]);
    expect(readFileSync(join(sandbox.repo, "src/app/strings.ts"), "utf8")).toContain("  return text;");
  });

  it("verifies with policy.verify_command alone, and --no-verify skips it", async () => {
    setup({ verify_command: "node check.mjs", max_verify_rounds: 0 });
    ollama.script.on(
      { user: "Unit u1:" },
      { text: searchReplace("src/app/math.ts", "  return a + b;", "  return a - b;") },
    );
    const verified = await runCliProcess(sandbox, ["run", "-t", "tweak math and strings", "--json"]);
    expect(verified.code, verified.stderr).toBe(11);
    const result = JSON.parse(verified.stdout) as { verification?: { verifiedUnits: string[] } };
    expect(result.verification?.verifiedUnits).toEqual(["u2"]);

    const skipped = await runCliProcess(sandbox, [
      "run",
      "-t",
      "tweak math and strings",
      "--no-verify",
      "--json",
    ]);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect((JSON.parse(skipped.stdout) as { verification?: unknown }).verification).toBeUndefined();
  });

  it("says plainly when the test command still fails as it did before the run", async () => {
    setup();
    ollama.script.on(
      { user: "Unit u1:" },
      { text: searchReplace("src/app/math.ts", "  return a + b;", "  return a + b + 0;") },
    );
    const run = await runCliProcess(sandbox, [
      "run",
      "-t",
      "tweak math and strings",
      "--verify",
      "node -e \"console.log('FAIL legacy: already broken'); process.exit(1)\"",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/verify: `.*` still fails as it did before the run.*no new failures/);
  });
});
