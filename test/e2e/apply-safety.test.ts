/**
 * `run --apply` against the fake servers: resume replays exact bytes (never the log's redaction
 * placeholders), a kill during the apply leaves all-old or all-new and the run stays resumable,
 * and accepted work that cannot be written exits 9 with `ok: false` — together with the units
 * that depend on it, which are held back.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import {
  logRecords,
  makeSandbox,
  roleConfig,
  runCliProcess,
  type Sandbox,
  startCli,
} from "../pipeline/support/e2e.js";
import { files, unit, wholeFile } from "../pipeline/support/harness.js";

const accept = { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } };
const secretPython =
  'token = compute_token(0)\npassword = "correct-horse-battery-staple"\nAPI_KEY = "sk-ant-test-e2e-0123456789abcdef"\n\ndef double(x):\n    return x + x\n';
const newMath =
  "export function add(a: number, b: number): number {\n  return a + b;\n}\nexport const mul = (a: number, b: number) => a * b;\n";

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox;

beforeEach(async () => {
  anthropic = await startFakeAnthropic();
  ollama = await startFakeOllama();
  openai = await startFakeOpenAI();
  openai.script.setDefault(accept);
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
});

function setup() {
  sandbox = makeSandbox(roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }));
}

const read = (file: string) => readFileSync(join(sandbox.repo, file), "utf8");
const runIdOf = () => logRecords(sandbox).find((record) => record.type === "run")?.runId as string;

describe("run --apply: exact bytes, crash safety, truthful exit codes", () => {
  it("--resume writes the draft's exact bytes although the log is redacted", async () => {
    setup();
    anthropic.script.on(
      { system: "You are the planner" },
      {
        json: {
          summary: "s",
          units: [
            unit("u1", ["lib/deep/nested/util.py"]),
            unit("u2", ["src/app/math.ts"], { depends_on: ["u1"] }),
          ],
        },
      },
    );
    ollama.script
      .on({ user: "Unit u1:" }, { text: wholeFile("lib/deep/nested/util.py", secretPython) })
      .on({ user: "Unit u2:" }, "hang", { times: 1 })
      .on({ user: "Unit u2:" }, { text: wholeFile("src/app/math.ts", newMath) });
    const first = startCli(sandbox, ["run", "-t", "tokens", "--apply", "--yes"]);
    await ollama.waitForRequests(2, "/api/chat");
    first.child.kill("SIGKILL");
    await first.done;
    // The log, meant for reading, does not hold the secrets.
    expect(JSON.stringify(logRecords(sandbox))).not.toContain("0123456789abcdef");
    const resumed = await runCliProcess(sandbox, [
      "run",
      "--resume",
      runIdOf(),
      "--apply",
      "--yes",
      "--json",
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(read("lib/deep/nested/util.py")).toBe(secretPython);
    expect(read("src/app/math.ts")).toBe(newMath);
  }, 60_000);

  it("a kill at any step of the apply: all-old or all-new, and the run resumes to all-new", async () => {
    const plan = {
      summary: "s",
      units: [unit("u1", ["src/app/math.ts"]), unit("u2", ["lib/deep/nested/util.py"])],
    };
    const newUtil = "def double(x):\n    return x + x\n";
    // 2 modified files: start, 2 originals, journal, 2 temps, commit, 2 renames, done = 10 steps
    for (const step of [1, 3, 4, 6, 7, 8, 10]) {
      setup();
      anthropic.script.on({ system: "You are the planner" }, { json: plan });
      ollama.script
        .on({ user: "Unit u1:" }, { text: wholeFile("src/app/math.ts", newMath) })
        .on({ user: "Unit u2:" }, { text: wholeFile("lib/deep/nested/util.py", newUtil) });
      const killed = await startCli(
        { ...sandbox, env: { ...sandbox.env, HIEROCODE_FAULT_AT: String(step) } },
        ["run", "-t", "two files", "--apply", "--yes"],
      ).done;
      expect(killed.signal, `step ${step}: ${killed.stderr}`).toBe("SIGKILL");
      expect(logRecords(sandbox).some((record) => record.type === "finished")).toBe(false);
      // Renames start at step 8: before it nothing in the tree changed; at step 10 all is written.
      if (step <= 8) expect(read("src/app/math.ts")).toBe(files["src/app/math.ts"]);
      if (step <= 8) expect(read("lib/deep/nested/util.py")).toBe(files["lib/deep/nested/util.py"]);
      if (step === 10) expect(read("lib/deep/nested/util.py")).toBe(newUtil);
      const resumed = await runCliProcess(sandbox, [
        "run",
        "--resume",
        runIdOf(),
        "--apply",
        "--yes",
        "--json",
      ]);
      expect(resumed.code, `step ${step}: ${resumed.stderr}`).toBe(0);
      expect(JSON.parse(resumed.stdout).ok).toBe(true);
      // Once the journal exists (step 5 on), the next command says what it did with the write.
      if (step > 4) expect(resumed.stderr).toMatch(/interrupted write .* was (completed|rolled back)/);
      expect(read("src/app/math.ts")).toBe(newMath);
      expect(read("lib/deep/nested/util.py")).toBe(newUtil);
      expect(logRecords(sandbox).filter((record) => record.type === "finished")).toHaveLength(1);
      await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
      anthropic = await startFakeAnthropic();
      ollama = await startFakeOllama();
      openai = await startFakeOpenAI();
      openai.script.setDefault(accept);
    }
  }, 120_000);

  it("a file changed during the run: exit 9, ok false, and the units depending on it are not written", async () => {
    setup();
    anthropic.script.on(
      { system: "You are the planner" },
      {
        json: {
          summary: "s",
          units: [
            unit("u1", ["lib/deep/nested/util.py"]),
            unit("u2", ["lib/deep/nested/test_util.py"], {
              new_files: ["lib/deep/nested/test_util.py"],
              depends_on: ["u1"],
            }),
            unit("u3", ["README.md"]),
          ],
        },
      },
    );
    ollama.script
      .on(
        { user: "Unit u1:" },
        {
          text: wholeFile(
            "lib/deep/nested/util.py",
            `${files["lib/deep/nested/util.py"]}\ndef triple(x):\n    return 3 * x\n`,
          ),
        },
      )
      .on(
        {
          user: "Unit u2:",
          when: () => {
            // Someone edits the file u1 changed while the run is still working.
            writeFileSync(
              join(sandbox.repo, "lib/deep/nested/util.py"),
              "def double(x):\n    return 2 * x\n",
            );
            return true;
          },
        },
        {
          text: wholeFile(
            "lib/deep/nested/test_util.py",
            "from util import triple\n\ndef test_triple():\n    assert triple(2) == 6\n",
          ),
        },
      )
      .on({ user: "Unit u3:" }, { text: wholeFile("README.md", "# demo\n\nNow with triple.\n") });
    const run = await runCliProcess(sandbox, ["run", "-t", "triple", "--apply", "--yes", "--json"]);
    expect(run.code, run.stderr).toBe(9);
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      applied: { written: string[]; conflicts: string[]; heldBack: Array<{ file: string; units: string[] }> };
    };
    expect(result.ok).toBe(false);
    expect(result.applied.conflicts).toEqual(["lib/deep/nested/util.py"]);
    expect(result.applied.heldBack.map((held) => held.file)).toEqual(["lib/deep/nested/test_util.py"]);
    expect(result.applied.written).toEqual(["README.md"]);
    expect(existsSync(join(sandbox.repo, "lib/deep/nested/test_util.py"))).toBe(false);
    expect(read("README.md")).toBe("# demo\n\nNow with triple.\n");
  }, 60_000);
});
