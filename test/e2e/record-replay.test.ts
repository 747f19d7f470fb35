/**
 * Record and replay through the built CLI: a `run` recorded against the fake servers replays with
 * every server closed and prints the same diff; strict replay reports a changed prompt with its
 * first difference; secrets never enter a cassette; `record show` summarises one.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { searchReplace, unit, wholeFile } from "../pipeline/support/harness.js";

const addMul =
  "export function add(a: number, b: number): number {\n  return a + b;\n}\nexport const mul = (a: number, b: number) => a * b;\n";
const twoUnits = {
  summary: "add mul, simplify double",
  units: [unit("u1", ["src/app/math.ts"]), unit("u2", ["lib/deep/nested/util.py"], { depends_on: ["u1"] })],
};
const accept = { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } };
const secret = "sk-test-openai-0123456789abcdef"; // the sandbox's OPENAI_API_KEY

let servers: { anthropic: FakeAnthropic; ollama: FakeOllama; openai: FakeOpenAi } | undefined;

async function closeServers() {
  if (!servers) return;
  const { anthropic, ollama, openai } = servers;
  servers = undefined;
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
}

afterEach(closeServers);

/** A sandbox whose three roles talk to freshly started fake servers scripted for a two-unit run. */
async function scriptedSandbox(): Promise<{ sandbox: Sandbox; counts: () => number[] }> {
  const anthropic = await startFakeAnthropic();
  const ollama = await startFakeOllama();
  const openai = await startFakeOpenAI();
  servers = { anthropic, ollama, openai };
  openai.script.setDefault(accept);
  anthropic.script.on({ system: "You are the planner" }, { json: twoUnits });
  ollama.script
    .on({ user: "Unit u1:" }, { text: wholeFile("src/app/math.ts", addMul) })
    .on(
      { user: "Unit u2:" },
      { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return x + x") },
    );
  const sandbox = makeSandbox(
    roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }),
  );
  const counts = () => [
    anthropic.requestsTo("/v1/messages").length,
    ollama.requestsTo("/api/chat").length,
    openai.requestsTo("/v1/chat/completions").length,
  ];
  return { sandbox, counts };
}

function cassetteLines(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("record and replay (built CLI)", { timeout: 60_000 }, () => {
  it("a recorded run replays offline with the same diff and figures", async () => {
    const { sandbox, counts } = await scriptedSandbox();
    const cassette = join(sandbox.home, "run.jsonl");
    const task = `add mul and simplify double (token ${secret})`;
    const recorded = await runCliProcess(sandbox, ["run", "-t", task, "--record", cassette]);
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stdout).toContain("diff --git a/lib/deep/nested/util.py b/lib/deep/nested/util.py");
    expect(counts()).toEqual([1, 2, 2]);

    const text = readFileSync(cassette, "utf8");
    expect(text).not.toContain(secret);
    expect(text).not.toMatch(/authorization|x-api-key/i);
    const lines = cassetteLines(cassette);
    expect(lines[0]).toMatchObject({ type: "cassette", version: 1, redacted: false });
    const generation = lines.filter((line) => line.kind === "generate" || line.kind === "stream");
    expect(generation.map((line) => line.role)).toEqual(
      expect.arrayContaining(["planner", "drafter", "drafter", "reviewer", "reviewer"]),
    );
    expect(generation).toHaveLength(5);
    for (const line of generation) expect(line.digest).toMatch(/^[0-9a-f]{64}$/);

    await closeServers(); // no model server from here on
    const replayed = await runCliProcess(sandbox, ["run", "-t", task, "--replay", cassette]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout); // byte-identical diff
    const figures = (stderr: string) =>
      stderr.split("\n").filter((line) => /calls {2}|total cost|units:/.test(line));
    expect(figures(replayed.stderr)).toEqual(figures(recorded.stderr));
    expect(figures(replayed.stderr).length).toBeGreaterThan(0);

    // Strict mode: a changed task is a changed prompt, reported with its first difference.
    const changed = await runCliProcess(sandbox, ["run", "-t", `${task}!`, "--replay", cassette]);
    expect(changed.code).toBe(7);
    expect(changed.stderr).toMatch(
      /error: replay: the planner call differs from the cassette's call \d+: .* at character \d+: recorded ".*", now ".*"/,
    );
    expect(changed.stderr).toMatch(/hint: .*--replay-mode order/);

    // Order mode answers by role and order whatever the prompt.
    const loose = await runCliProcess(sandbox, [
      "run",
      "-t",
      `${task}!`,
      "--replay",
      cassette,
      "--replay-mode",
      "order",
    ]);
    expect(loose.code, loose.stderr).toBe(0);
    expect(loose.stdout).toBe(recorded.stdout);

    const show = await runCliProcess(sandbox, ["record", "show", cassette]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/cassette v1/);
    expect(show.stdout).toMatch(/planner \(.+\) +api\/claude-sonnet-4-6/);
    expect(show.stdout).toMatch(/^5 model calls \(\d+ in all\)/m);
    const json = JSON.parse(
      (await runCliProcess(sandbox, ["record", "show", cassette, "--json"])).stdout,
    ) as {
      totals: { generationCalls: number };
    };
    expect(json.totals.generationCalls).toBe(5);
  });

  it("draft and worker record and replay; --record-redact leaves requests out", async () => {
    const { sandbox } = await scriptedSandbox();
    servers?.ollama.script.on(
      { user: "lib/deep/nested/util.py" },
      { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return 2 * x") },
    );
    const cassette = join(sandbox.home, "draft.jsonl");
    const args = ["draft", "-t", "write 2 * x", "--file", "lib/deep/nested/util.py"];
    const recorded = await runCliProcess(sandbox, [...args, "--record", cassette, "--record-redact"]);
    expect(recorded.code, recorded.stderr).toBe(0);
    const lines = cassetteLines(cassette);
    expect(lines[0]).toMatchObject({ redacted: true });
    expect(lines.some((line) => "request" in line)).toBe(false);
    const worker = join(sandbox.home, "worker.jsonl");
    servers?.ollama.script.on({ user: "print hello" }, { text: "console.log('hello');" });
    const workerRun = await runCliProcess(sandbox, ["worker", "print hello", "--record", worker]);
    expect(workerRun.code, workerRun.stderr).toBe(0);

    await closeServers();
    const replayed = await runCliProcess(sandbox, [...args, "--replay", cassette]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    const workerReplay = await runCliProcess(sandbox, ["worker", "print hello", "--replay", worker]);
    expect(workerReplay.code, workerReplay.stderr).toBe(0);
    expect(workerReplay.stdout).toBe(workerRun.stdout);
    // One call more than recorded: the cassette says so.
    const twice = await runCliProcess(sandbox, ["worker", "print hello again", "--replay", worker]);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toMatch(/replay: .* (differs|has no more)/);
    // A redacted cassette can only compare digests.
    const changed = await runCliProcess(sandbox, [
      "draft",
      "-t",
      "write x + x",
      "--file",
      "lib/deep/nested/util.py",
      "--replay",
      cassette,
    ]);
    expect(changed.stderr).toMatch(/recorded with --record-redact/);
    const both = await runCliProcess(sandbox, [...args, "--replay", cassette, "--record", cassette]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/error: --record and --replay exclude each other/);
  });

  it("a provider of type replay answers from its cassette", async () => {
    const { sandbox } = await scriptedSandbox();
    const cassette = join(sandbox.home, "run.jsonl");
    const task = "add mul and simplify double";
    const recorded = await runCliProcess(sandbox, ["run", "-t", task, "--record", cassette]);
    expect(recorded.code, recorded.stderr).toBe(0);
    await closeServers();
    // Entries named as in the recording replay with the recorded type and locality (the drafter
    // stays local, so its capacity and prompts are the recorded ones).
    const replaying = makeSandbox({
      providers: {
        api: { type: "replay", cassette },
        local: { type: "replay", cassette },
        oai: { type: "replay", cassette },
      },
      routing: {
        planner: { provider: "api", model: "claude-sonnet-4-6" },
        drafter: { provider: "local", model: "qwen2.5-coder:7b" },
        reviewer: { provider: "oai", model: "gpt-5.4-mini" },
      },
    });
    const replayed = await runCliProcess(replaying, ["run", "-t", task, "--refresh-plan"]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
  });
});
