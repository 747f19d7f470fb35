/**
 * What `hierocode run` shows while it works, off a terminal (plain lines on stderr, stdout kept
 * for the diff or the JSON): each unit's phase, the check findings, and on Ctrl-C the run id with
 * the exact resume command — which a finished run does not advertise.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { makeSandbox, roleConfig, runCliProcess, type Sandbox, startCli } from "../pipeline/support/e2e.js";
import { searchReplace, unit } from "../pipeline/support/harness.js";

const accept = { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } };
const plan = {
  summary: "two steps",
  units: [unit("u1", ["lib/deep/nested/util.py"]), unit("u2", ["src/app/math.ts"], { depends_on: ["u1"] })],
};

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox;

beforeEach(async () => {
  [anthropic, ollama, openai] = await Promise.all([
    startFakeAnthropic(),
    startFakeOllama(),
    startFakeOpenAI(),
  ]);
  openai.script.setDefault(accept);
  anthropic.script.on({ system: "You are the planner" }, { json: plan });
  sandbox = makeSandbox(roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }));
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
});

describe("run's progress off a terminal", { timeout: 60_000 }, () => {
  it("prints one line per phase change and the check findings; stdout stays JSON", async () => {
    ollama.script
      .on(
        { user: "Unit u1:" },
        { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return x *(") },
        { times: 1 },
      )
      .on(
        { user: "Unit u1:" },
        { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return 2 * x") },
      )
      .on(
        { user: "Unit u2:" },
        { text: searchReplace("src/app/math.ts", "  return a + b;", "  return b + a;") },
      );
    const run = await runCliProcess(sandbox, ["run", "-t", "tidy", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, accepted: ["u1", "u2"] });
    const lines = run.stderr.split("\n");
    expect(lines).toContain("plan: 2 unit(s)");
    // The unit's complexity comes first; its drafter is named from the first line on.
    expect(lines.some((line) => /^u1 complexity \d+\.\d \(\w+, \w+\)$/.test(line))).toBe(true);
    expect(lines).toContain("u1 drafting (qwen2.5-coder:7b)");
    expect(lines.some((line) => /^u1: syntax check error lib\/deep\/nested\/util\.py/.test(line))).toBe(true);
    expect(lines).toContain("u1 revising r1 (qwen2.5-coder:7b)");
    expect(lines).toContain("u1 reviewing r1 (gpt-5.4-mini)");
    expect(lines.some((line) => /^u1 accepted r1 \d/.test(line))).toBe(true);
    expect(lines.some((line) => /^u2 accepted \d/.test(line))).toBe(true);
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    expect(at(/^u1 accepted/)).toBeLessThan(at(/^u2 drafting/));
    expect(run.stderr).not.toContain("\u001b[");
  });

  it("Ctrl-C names the run and the exact resume command; a finished run does not advertise --resume", async () => {
    ollama.script
      .on(
        { user: "Unit u1:" },
        { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return 2 * x") },
      )
      .on({ user: "Unit u2:" }, "hang", { times: 1 })
      .on(
        { user: "Unit u2:" },
        { text: searchReplace("src/app/math.ts", "  return a + b;", "  return b + a;") },
      );
    const first = startCli(sandbox, ["run", "-t", "tidy"]);
    await ollama.waitForRequests(2, "/api/chat");
    first.child.kill("SIGINT");
    const interrupted = await first.done;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const match = /error: run (\S+) interrupted\nhint: resume with: hierocode run --resume (\S+)/.exec(
      interrupted.stderr,
    );
    expect(match, interrupted.stderr).not.toBeNull();
    expect(match?.[2]).toBe(match?.[1]);
    const resumed = await runCliProcess(sandbox, ["run", "--resume", match?.[1] as string]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain("units: 2 accepted");
    expect(resumed.stderr).not.toContain("--resume");
  });
});

describe("Ctrl-C before the plan", { timeout: 60_000 }, () => {
  it("names the run but does not advertise a --resume that would be refused", async () => {
    anthropic.script.reset().on({ system: "You are the planner" }, "hang");
    const first = startCli(sandbox, ["run", "-t", "tidy"]);
    await anthropic.waitForRequests(1, "/v1/messages");
    first.child.kill("SIGINT");
    const interrupted = await first.done;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toMatch(
      /error: run \S+ interrupted before its plan was made\nhint: nothing to resume/,
    );
    expect(interrupted.stderr).not.toContain("--resume");
  });
});
