/**
 * Cross-project memory through the built CLI: add/search/list/forget, secrets refused, and the
 * planner's request (to the fake Anthropic server) carrying the relevant notes within the budget,
 * recorded in the run log; `memory.enabled: false` in a project gives the planner none.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { logRecords, makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { searchReplace, unit } from "../pipeline/support/harness.js";

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox;

beforeEach(async () => {
  anthropic = await startFakeAnthropic();
  ollama = await startFakeOllama();
  openai = await startFakeOpenAI();
  sandbox = makeSandbox(roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }));
  sandbox.env.HIEROCODE_DATA_DIR = join(sandbox.home, "data");
  anthropic.script.on(
    { system: "You are the planner" },
    { json: { summary: "one step", units: [unit("u1", ["src/app/math.ts"], { goal: "add mul" })] } },
  );
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
});

function plannerUserText(): string {
  const requests = anthropic.requestsTo("/v1/messages");
  const body = requests[requests.length - 1]?.body as { messages: Array<{ content: unknown }> };
  return JSON.stringify(body.messages);
}

async function ok(args: string[]) {
  const run = await runCliProcess(sandbox, args);
  expect(run.code, run.stderr).toBe(0);
  return run;
}

describe("memory", { timeout: 90_000 }, () => {
  it("stores, searches by BM25, lists, forgets and refuses secrets", async () => {
    await ok(["memory", "add", "math helpers live in src/app/math.ts and use arrow functions"]);
    await ok(["memory", "add", "--project", "the math module is exported from the package index"]);
    await ok(["memory", "add", "--preference", "prefer vitest over jest"]);
    await ok(["memory", "add", "deploys go through the staging cluster first"]);
    const found = JSON.parse((await ok(["memory", "search", "math", "module", "--json"])).stdout) as {
      notes: Array<{ id: number; text: string }>;
    };
    expect(found.notes.map((note) => note.id)).toEqual([2, 1]);
    const listed = JSON.parse((await ok(["memory", "list", "--project", "--json"])).stdout) as {
      notes: Array<{ id: number; project: string }>;
    };
    expect(listed.notes.map((note) => note.id)).toEqual([2]);
    const secret = await runCliProcess(sandbox, [
      "memory",
      "add",
      "the prod key is sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrSt-AbCdEfAA",
    ]);
    expect(secret.code).toBe(2);
    expect(secret.stderr).toMatch(/error: the text contains what looks like .*nothing was stored/);
    expect(secret.stderr).toMatch(/hint:/);
    await ok(["memory", "forget", "4"]);
    const all = JSON.parse((await ok(["memory", "list", "--json"])).stdout) as {
      notes: Array<{ id: number }>;
    };
    expect(all.notes.map((note) => note.id)).toEqual([3, 2, 1]);
    const missing = await runCliProcess(sandbox, ["memory", "forget", "4"]);
    expect(missing.code).toBe(2);
  });

  it("gives the planner the relevant notes and logs what was injected", async () => {
    await ok(["memory", "add", "math helpers in this repo use arrow functions, never function declarations"]);
    await ok(["memory", "add", "--preference", "prefer small pure functions"]);
    await ok(["memory", "add", "the billing service retries webhooks three times"]);
    await ok(["plan", "-t", "add a mul helper to the math module", "--refresh-plan"]);
    const sent = plannerUserText();
    expect(sent).toContain("From the user's memory");
    expect(sent).toContain("math helpers in this repo use arrow functions");
    expect(sent).toContain("prefer small pure functions");
    expect(sent).not.toContain("billing service");

    // A full run records the injected notes in its log.
    ollama.script.on(
      { user: "src/app/math.ts" },
      {
        text: searchReplace(
          "src/app/math.ts",
          "  return a + b;\n}",
          "  return a + b;\n}\nexport const mul = (a: number, b: number) => a * b;",
        ),
      },
    );
    openai.script.on(
      { user: "Unit u1" },
      { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } },
    );
    const run = await runCliProcess(sandbox, ["run", "-t", "add a mul helper to the math module", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const memoryRecords = logRecords(sandbox).filter((record) => record.type === "memory");
    expect(memoryRecords).toHaveLength(1);
    expect(memoryRecords[0]?.notes).toEqual([
      { id: 2, kind: "preference", scope: "global", via: "preference" },
      { id: 1, kind: "note", scope: "global", via: "fts" },
    ]);
    expect(String(memoryRecords[0]?.text)).toContain("arrow functions");
  });

  it("memory.enabled: false in the project gives the planner nothing; no store is created by a run", async () => {
    await ok(["plan", "-t", "add a mul helper"]);
    expect(existsSync(join(sandbox.home, "data", "memory.db"))).toBe(false);
    expect(plannerUserText()).not.toContain("From the user's memory");
    await ok(["memory", "add", "math helpers use arrow functions"]);
    writeFileSync(join(sandbox.repo, ".hierocode.yaml"), "memory:\n  enabled: false\n");
    await ok(["plan", "-t", "add a mul helper to math", "--refresh-plan"]);
    expect(plannerUserText()).not.toContain("arrow functions");
  });
});
