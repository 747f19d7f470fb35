/**
 * Replies shaped like today's reasoning models', through the built CLI and the fake servers, with
 * the default configuration (no setting for reasoning): the reviewer reasons inline and must revise,
 * the planner sketches JSON before a loose plan, the drafter tries an edit while thinking, and
 * `patch apply` meets reasoning, repeated, already applied and stale edits.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { logRecords, makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { files, searchReplace } from "../pipeline/support/harness.js";

const addMul =
  "export function add(a: number, b: number): number {\n  return a + b;\n}\nexport const mul = (a: number, b: number) => a * b;\n";
const realDraft = searchReplace(
  "src/app/math.ts",
  "  return a + b;\n}",
  "  return a + b;\n}\nexport const mul = (a: number, b: number) => a * b;",
);
const trialDraft = searchReplace("src/app/math.ts", "  return a + b;", "  return a - b;");
const verdictJson = (action: string, feedback = "") =>
  JSON.stringify({ action, feedback, issues: feedback ? [feedback] : [], confidence: 0.9, sub_units: [] });
/** qwen3 / deepseek-r1 style plan: a sketch first, then a loose plan in a fence with trailing commas. */
const loosePlan = [
  'Let me think. A first idea would be {"summary": "...", "units": []}, but a unit is needed.',
  "",
  "```json",
  "{",
  '  "task": "add mul",',
  '  "units": [',
  '    {"id": "u1", "goal": "add a mul function", "target_files": "src/app/math.ts", "acceptance": "mul(2, 3) is 6", "est_input_tokens": 100.5,},',
  "  ],",
  "}",
  "```",
].join("\n");

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox;

beforeEach(async () => {
  anthropic = await startFakeAnthropic();
  ollama = await startFakeOllama();
  openai = await startFakeOpenAI(undefined, { reasoningField: "inline" });
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
});

function setup() {
  sandbox = makeSandbox(roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }));
}

const reviewerRequests = () => openai.requestsTo("/v1/chat/completions");

interface RunJson {
  accepted: string[];
  revisions: number;
  units: Array<{ id: string; status: string; revisions: number }>;
  diff: string;
}

describe("reasoning models through the built CLI", { timeout: 60_000 }, () => {
  it("run: a reviewer that reasons toward accept and answers revise is taken as revise", async () => {
    setup();
    anthropic.script.on({ system: "You are the planner" }, { text: loosePlan });
    ollama.script.on(
      { user: "Unit u1:" },
      { text: realDraft, reasoning: `A first try:\n${trialDraft}\nNo, mul is asked for.` },
    );
    openai.script
      .on(
        { user: "Unit u1:" },
        {
          text: verdictJson("revise", "name the second parameter b"),
          reasoning:
            'The diff adds mul. I could answer {"action":"accept","confidence":0.9} but let me check the names first.',
        },
        { times: 1 },
      )
      .on({ user: "Unit u1:" }, { text: verdictJson("accept"), reasoning: "Fine now." });
    const run = await runCliProcess(sandbox, ["run", "-t", "add mul", "--json", "--debug"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as RunJson;
    expect(result.accepted).toEqual(["u1"]);
    expect(result.units[0]?.revisions).toBe(1);
    expect(reviewerRequests()).toHaveLength(2);
    // The trial edit from the drafter's reasoning was never applied.
    expect(result.diff).toContain("+export const mul");
    expect(result.diff).not.toContain("a - b");
    // The loose plan was repaired (once, no retry), and --debug says what was repaired.
    expect(anthropic.requestsTo("/v1/messages")).toHaveLength(1);
    expect(run.stderr).toMatch(/debug: planner plan: repaired .*JSON syntax/);
    expect(run.stderr).toMatch(/acceptance was a string/);
    // The run log keeps the reasoning apart from the answer.
    const replies = logRecords(sandbox).filter(
      (record) => record.type === "reply" && record.role === "reviewer",
    );
    expect(replies[0]?.reasoning).toContain('{"action":"accept","confidence":0.9}');
    expect(String(replies[0]?.text)).not.toContain("<think>");
  });

  it("run: reasoning longer than review_max_output_tokens gets room and still revises", async () => {
    setup();
    anthropic.script.on({ system: "You are the planner" }, { text: loosePlan });
    ollama.script.on({ user: "Unit u1:" }, { text: realDraft });
    const long = "I compare the diff with the acceptance criteria line by line. ".repeat(40);
    openai.script
      .on({ user: "Unit u1:" }, { text: verdictJson("revise", "add a test"), reasoning: long }, { times: 2 })
      .on({ user: "Unit u1:" }, { text: verdictJson("accept"), reasoning: long });
    const run = await runCliProcess(sandbox, ["run", "-t", "add mul", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as RunJson;
    expect(result.units[0]?.revisions).toBe(1);
    const budgets = reviewerRequests().map(
      (request) => (request.body.max_tokens ?? request.body.max_completion_tokens) as number,
    );
    // Cut off at the compact verdict's 100 while thinking, asked again with room; later reviews
    // get the room at once.
    expect(budgets[0]).toBe(100);
    expect(budgets[1]).toBeGreaterThan(100 + Math.ceil(long.length / 4));
    expect(budgets.slice(2).every((budget) => budget === budgets[1])).toBe(true);
    expect(budgets).toHaveLength(3);
  });
});

describe("patch apply with model-shaped replies", { timeout: 60_000 }, () => {
  const write = (name: string, text: string) => {
    const path = join(sandbox.home, name);
    writeFileSync(path, text);
    return path;
  };
  const math = () => readFileSync(join(sandbox.repo, "src/app/math.ts"), "utf8");

  it("ignores edits inside reasoning and applies a repeated block once, saying so in --json", async () => {
    setup();
    const reply = write(
      "reply.md",
      `<think>\n${trialDraft}\n</think>\n${realDraft}\nOnce more:\n${realDraft}`,
    );
    const run = await runCliProcess(sandbox, ["patch", "apply", reply, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as {
      ok: boolean;
      edits: Array<{ status: string; note?: string; repeats?: number }>;
    };
    expect(json.edits).toEqual([
      expect.objectContaining({ status: "applied" }),
      expect.objectContaining({ status: "applied", note: "repeated", repeats: 1 }),
    ]);
    expect(math()).toBe(addMul);
    // The same reply again: the change is already there; nothing changes, not an error.
    const again = await runCliProcess(sandbox, ["patch", "apply", reply, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as { edits: Array<{ note?: string }>; written: boolean };
    expect(second.edits[0]?.note).toBe("already-applied");
    expect(second.written).toBe(false);
    expect(math()).toBe(addMul);
  });

  it("refuses a stale hunk whose - line stands elsewhere (the is_guest / is_admin case)", async () => {
    const auth =
      'def is_guest(user):\n    if user.name == "guest":\n        return False\n    return False\n\n\ndef is_admin(user):\n    if user.name == "root":\n        return True\n    return False\n';
    sandbox = makeSandbox(
      roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }),
      {
        "auth.py": auth,
      },
    );
    const stale = write(
      "stale.diff",
      '--- a/auth.py\n+++ b/auth.py\n@@ -1,4 +1,4 @@\n def is_guest(user):\n     if user.name == "guest":\n-        return True\n+        return False\n     return False\n',
    );
    const run = await runCliProcess(sandbox, ["patch", "apply", stale]);
    expect(run.code).not.toBe(0);
    expect(run.stderr + run.stdout).toMatch(/context/);
    expect(readFileSync(join(sandbox.repo, "auth.py"), "utf8")).toBe(auth);
  });

  it("refuses a placeholder that would delete code, and names it", async () => {
    setup();
    const lazy = write(
      "lazy.md",
      searchReplace(
        "src/app/math.ts",
        "export function add(a: number, b: number): number {\n  return a + b;\n}",
        "// ... omitted for brevity\nexport const mul = (a: number, b: number) => a * b;",
      ),
    );
    const run = await runCliProcess(sandbox, ["patch", "apply", lazy]);
    expect(run.code).not.toBe(0);
    expect(run.stderr + run.stdout).toContain("omitted for brevity");
    expect(math()).toBe(files["src/app/math.ts"]);
  });
});
