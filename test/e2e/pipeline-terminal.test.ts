/**
 * `run --apply` and escalation in a real pseudo-terminal: hierocode asks per file (skip one,
 * apply the other) and asks before the planner drafts a unit itself.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { keys, runInTerminal } from "../kit/terminal.js";
import { makeSandbox, roleConfig } from "../pipeline/support/e2e.js";
import { files, searchReplace, unit } from "../pipeline/support/harness.js";

const cliEntry = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const accept = { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } };

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;

beforeEach(async () => {
  anthropic = await startFakeAnthropic();
  ollama = await startFakeOllama();
  openai = await startFakeOpenAI();
  anthropic.script.on(
    { system: "You are the planner" },
    { json: { summary: "s", units: [unit("u1", ["src/app/math.ts"]), unit("u2", ["src/app/strings.ts"])] } },
  );
  ollama.script
    .on(
      { user: "Unit u1:" },
      { text: searchReplace("src/app/math.ts", "  return a + b;", "  return a + b + 0;") },
    )
    .on(
      { user: "Unit u2:" },
      { text: searchReplace("src/app/strings.ts", "  return text.toUpperCase();", "  return text;") },
    );
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
});

describe("hierocode run in a terminal", { timeout: 60_000 }, () => {
  it("--apply asks per file: skipping one file writes only the other", async () => {
    openai.script.setDefault(accept);
    const sandbox = makeSandbox(
      roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }),
      {},
    );
    const run = await runInTerminal(
      [
        ["Apply changes to src/app/math.ts?", `${keys.down}${keys.enter}`], // skip
        ["Apply changes to src/app/strings.ts?", keys.enter], // yes
      ],
      [process.execPath, cliEntry, "run", "-t", "tweak math and strings", "--apply"],
      { cwd: sandbox.repo, env: sandbox.env, timeoutMs: 45_000 },
    );
    expect(run.code, run.transcript).toBe(0);
    expect(readFileSync(join(sandbox.repo, "src/app/math.ts"), "utf8")).toBe(files["src/app/math.ts"]);
    expect(readFileSync(join(sandbox.repo, "src/app/strings.ts"), "utf8")).toContain("  return text;");
  });

  it("asks before escalating, and the planner drafts the unit once allowed", async () => {
    openai.script
      .on(
        { user: "Unit u2" },
        {
          json: {
            action: "escalate",
            feedback: "needs the planner",
            issues: [],
            confidence: 0.9,
            sub_units: [],
          },
        },
        { times: 1 },
      )
      .setDefault(accept);
    anthropic.script.on(
      { user: "needs the planner" },
      { text: searchReplace("src/app/strings.ts", "  return text.toUpperCase();", "  return text.trim();") },
    );
    const sandbox = makeSandbox(
      roleConfig(
        { anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl },
        { redirect_before_escalation: false }, // straight to the consent prompt
      ),
      {},
    );
    const run = await runInTerminal(
      [["Let the planner write it?", keys.enter]],
      [process.execPath, cliEntry, "run", "-t", "tweak math and strings", "--json"],
      { cwd: sandbox.repo, env: sandbox.env, timeoutMs: 45_000 },
    );
    expect(run.code, run.transcript).toBe(0);
    expect(run.transcript).toContain("return text.trim();");
  });
});
