/**
 * The router's choice meets dispatch (built CLI, fake servers): a unit routed to a paid API is
 * not held to the local worker limit, a unit routed to a local model is; a local candidate on
 * Ollama is sent its own `num_ctx` and a unit too big for it goes elsewhere; pre-flight checks
 * every candidate and leaves out the unusable ones with one warning line, while a missing
 * default still stops the run. Concurrency is what the fake servers saw at once.
 */

import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { dirname } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { defaultOllamaModels, type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import type { RecordedRequest } from "../kit/fake-server.js";
import { logRecords, makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { searchReplace, unit } from "../pipeline/support/harness.js";

const haiku = "claude-haiku-4-5-20251001";
const small = "qwen2.5-coder:1.5b";
const accept = { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } };
/** Long enough that two calls sent together are surely open at the same time, even under load. */
const slowMs = 1200;

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox | undefined;

beforeEach(async () => {
  [anthropic, ollama, openai] = await Promise.all([
    startFakeAnthropic(),
    startFakeOllama(undefined, {
      models: [
        ...defaultOllamaModels(),
        { name: small, family: "qwen2", architecture: "qwen2", parameterSize: "1.5B", contextLength: 32768 },
      ],
    }),
    startFakeOpenAI(),
  ]);
  openai.script.setDefault(accept);
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
  if (sandbox) rmSync(dirname(sandbox.repo), { recursive: true, force: true });
  sandbox = undefined;
});

/** w/fN.py for N in `ids`, each `def fN():\n    return N\n`. */
function pyFiles(ids: number[]): Record<string, string> {
  return Object.fromEntries(ids.map((n) => [`w/f${n}.py`, `def f${n}():\n    return ${n}\n`]));
}

const edit = (n: number) => ({
  text: searchReplace(`w/f${n}.py`, `    return ${n}`, `    return ${n * 10}`),
});
const chatsOf = (model: string) => (request: RecordedRequest) =>
  request.path === "/api/chat" && request.body?.model === model;
const draftsOf = (model: string) => (request: RecordedRequest) =>
  request.path === "/v1/messages" && request.body?.model === model;

/** A free TCP port nothing listens on (bound, then released). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${address.port}`;
}

describe("routing and dispatch concurrency", { timeout: 90_000 }, () => {
  it("local default: API-routed units run side by side, local ones one at a time", async () => {
    const config = roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl });
    const routing = config.routing as Record<string, Record<string, unknown>>;
    routing.drafter = { ...routing.drafter, candidates: [{ provider: "api", model: haiku }] };
    sandbox = makeSandbox(
      {
        ...config,
        router: { mode: "matrix" },
        parallelization: { max_local_workers: 1, max_remote_workers: 4 },
      },
      pyFiles([1, 2, 3, 4, 5, 6]),
    );
    const plan = {
      summary: "three trivial edits, three refactors",
      units: [
        ...[1, 2, 3].map((n) => unit(`u${n}`, [`w/f${n}.py`], { goal: `simplify f${n}` })),
        ...[4, 5, 6].map((n) => unit(`u${n}`, [`w/f${n}.py`], { goal: `refactor f${n} into a helper` })),
      ],
    };
    anthropic.script.on({ system: "You are the planner" }, { json: plan });
    for (const n of [1, 2, 3]) ollama.script.on({ user: `Unit u${n}:` }, edit(n), { delayMs: slowMs / 2 });
    for (const n of [4, 5, 6])
      anthropic.script.on({ model: haiku, user: `Unit u${n}:` }, edit(n), { delayMs: slowMs });

    const run = await runCliProcess(sandbox, [
      "run",
      "-t",
      "simplify and refactor the w functions",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { accepted: string[] }).accepted).toEqual([
      "u1",
      "u2",
      "u3",
      "u4",
      "u5",
      "u6",
    ]);
    expect(ollama.requests.filter(chatsOf("qwen2.5-coder:7b"))).toHaveLength(3);
    expect(anthropic.requests.filter(draftsOf(haiku))).toHaveLength(3);
    // Local units keep to max_local_workers: 1; API units are not serialised behind it.
    expect(ollama.peakInFlight(chatsOf("qwen2.5-coder:7b"))).toBe(1);
    expect(anthropic.peakInFlight(draftsOf(haiku))).toBeGreaterThanOrEqual(2);
  });

  it("API default: a local Ollama candidate keeps the local limit, gets its pinned num_ctx, and a unit too big for it goes to the API", async () => {
    const config = roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl });
    const providers = config.providers as Record<string, Record<string, unknown>>;
    providers.small = { type: "ollama", base_url: ollama.url, max_retries: 0, num_ctx: 4096 };
    const routing = config.routing as Record<string, Record<string, unknown>>;
    routing.drafter = { provider: "api", model: haiku, candidates: [{ provider: "small", model: small }] };
    // ~3500 tokens: more than the 1.5b model's input budget at num_ctx 4096 (2457), still trivial.
    const big = `def f4():\n    return 4\n${Array.from({ length: 350 }, (_, i) => `# note ${i}: kept as it is, nothing to change\n`).join("")}`;
    sandbox = makeSandbox(
      {
        ...config,
        router: { mode: "matrix" },
        parallelization: { max_local_workers: 1, max_remote_workers: 4 },
      },
      { ...pyFiles([1, 2, 3]), "w/f4.py": big },
    );
    const plan = {
      summary: "four trivial edits",
      units: [1, 2, 3, 4].map((n) => unit(`u${n}`, [`w/f${n}.py`], { goal: `simplify f${n}` })),
    };
    anthropic.script.on({ system: "You are the planner" }, { json: plan });
    for (const n of [1, 2, 3])
      ollama.script.on({ model: small, user: `Unit u${n}:` }, edit(n), { delayMs: slowMs / 2 });
    anthropic.script.on({ model: haiku, user: "Unit u4:" }, edit(4));

    const run = await runCliProcess(sandbox, ["run", "-t", "simplify the w functions", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { accepted: string[] }).accepted).toEqual(["u1", "u2", "u3", "u4"]);
    const local = ollama.requests.filter(chatsOf(small));
    expect(local.map((request) => JSON.stringify(request.body).match(/Unit (u\d):/)?.[1]).sort()).toEqual([
      "u1",
      "u2",
      "u3",
    ]);
    // Before: every unit ran at the default drafter's (remote) limit of 4, all at the local server.
    expect(ollama.peakInFlight(chatsOf(small))).toBe(1);
    // The candidate's own context, as pinned for its provider: one runner, never reloaded.
    expect(ollama.runners.numCtxSeen.get(small)).toEqual([4096, 4096, 4096]);
    expect(ollama.runners.reloads).toBe(0);
    const drafts = anthropic.requests.filter(draftsOf(haiku));
    expect(drafts).toHaveLength(1);
    expect(JSON.stringify(drafts[0]?.body)).toContain("Unit u4:");
    const outcomes = JSON.parse((await runCliProcess(sandbox, ["outcome", "list", "--json"])).stdout) as {
      outcomes: Array<{ unitId: string; model: string }>;
    };
    expect(outcomes.outcomes.map((row) => [row.unitId, row.model])).toEqual([
      ["u1", small],
      ["u2", small],
      ["u3", small],
      ["u4", haiku],
    ]);
  });

  it("a split's parts stay on the parent's kind of model, so its worker slot's limit holds", async () => {
    const config = roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl });
    const routing = config.routing as Record<string, Record<string, unknown>>;
    routing.drafter = { ...routing.drafter, candidates: [{ provider: "api", model: haiku }] };
    sandbox = makeSandbox({ ...config, router: { mode: "matrix" } });
    anthropic.script.on(
      { system: "You are the planner" },
      {
        json: {
          summary: "s",
          units: [unit("u1", ["src/app/math.ts"], { goal: "refactor add into small helpers" })],
        },
      },
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
    anthropic.script
      .on(
        { model: haiku, user: "Unit u1.1:" },
        { text: searchReplace("src/app/math.ts", "  return a + b;", "  return b + a;") },
      )
      .on(
        { model: haiku, user: "Unit u1.2:" },
        {
          text: searchReplace(
            "src/app/math.ts",
            "}",
            "}\nexport const mul = (a: number, b: number) => a * b;",
          ),
        },
      )
      .on(
        { model: haiku, user: "Unit u1:" },
        {
          text: searchReplace(
            "src/app/math.ts",
            "  return a + b;",
            "  return [a, b].reduce((x, y) => x + y, 0);",
          ),
        },
      );
    const run = await runCliProcess(sandbox, ["run", "-t", "refactor add", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { units: Array<{ id: string; status: string }> };
    expect(result.units.map((item) => `${item.id}:${item.status}`)).toEqual([
      "u1:accepted",
      "u1.1:accepted",
      "u1.2:accepted",
    ]);
    // The parts are trivial (the matrix would give them to the local model), but u1 held a remote slot.
    const drafted = anthropic.requests
      .filter(draftsOf(haiku))
      .map((request) => JSON.stringify(request.body).match(/Unit (u[\d.]+):/)?.[1]);
    expect(drafted).toEqual(["u1", "u1.1", "u1.2"]);
    expect(
      ollama.requestsTo("/api/chat").filter((request) => request.body?.messages?.length > 0),
    ).toHaveLength(0);
    expect(run.stderr).toMatch(/^u1\.1 complexity \d\.\d \(trivial, edit\) → api\/claude-haiku/m);
  });

  it("pre-flight leaves out unreachable or missing candidates with one warning; a missing default still stops the run", async () => {
    const config = roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl });
    const providers = config.providers as Record<string, Record<string, unknown>>;
    providers.down = { type: "ollama", base_url: await closedPortUrl(), max_retries: 0 };
    const routing = config.routing as Record<string, Record<string, unknown>>;
    routing.drafter = {
      ...routing.drafter,
      candidates: [
        { provider: "down", model: small },
        { provider: "local", model: "missing-model:1b" },
      ],
    };
    sandbox = makeSandbox({ ...config, router: { mode: "matrix" } }, pyFiles([1]));
    anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: "one edit", units: [unit("u1", ["w/f1.py"], { goal: "simplify f1" })] } },
    );
    ollama.script.on({ user: "Unit u1:" }, edit(1));
    const run = await runCliProcess(sandbox, ["run", "-t", "simplify f1"]);
    expect(run.code, run.stderr).toBe(0);
    const warnings = run.stderr.split("\n").filter((line) => line.startsWith("warning: router candidate"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warning: router candidates left out of this run: down\/qwen2\.5-coder:1\.5b \(.+\); local\/missing-model:1b \(model 'missing-model:1b' is not pulled\); /,
    );
    // Nothing was asked of the dropped candidates after pre-flight (no capacity probe, no draft).
    expect(
      ollama.requests.filter((request) => JSON.stringify(request.body ?? {}).includes("missing-model")),
    ).toHaveLength(0);
    const preflightRecord = logRecords(sandbox).find((record) => record.type === "preflight");
    expect(Object.keys((preflightRecord?.droppedCandidates ?? {}) as object)).toEqual([
      `down/${small}`,
      "local/missing-model:1b",
    ]);
    const outcomes = JSON.parse((await runCliProcess(sandbox, ["outcome", "list", "--json"])).stdout) as {
      outcomes: Array<{ model: string }>;
    };
    expect(outcomes.outcomes.map((row) => row.model)).toEqual(["qwen2.5-coder:7b"]);

    // The drafter's own model missing is not a candidate problem: the run stops before any paid call.
    ollama.models.splice(
      ollama.models.findIndex((model) => model.name === "qwen2.5-coder:7b"),
      1,
    );
    const planned = anthropic.requestsTo("/v1/messages").length;
    const stopped = await runCliProcess(sandbox, ["run", "-t", "simplify f1"]);
    expect(stopped.code).toBe(ExitCode.modelNotFound);
    expect(stopped.stderr).toMatch(
      /^error: drafter \(local\/qwen2\.5-coder:7b\): model 'qwen2\.5-coder:7b' is not pulled/m,
    );
    expect(anthropic.requestsTo("/v1/messages")).toHaveLength(planned);
  });
});
