/**
 * Say which server you reached (issue 9): a base_url or OLLAMA_HOST ending in /v1 is corrected
 * with a warning; OLLAMA_HOST is parsed the way Ollama parses it and honoured when the config
 * has no base_url (init writes none); something that is not Ollama is named as such — `run`
 * exits 4 before any call, `doctor` fails (exit 10) and never says "ok" about it nor prints a
 * template placeholder.
 */
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseOllamaHost } from "../../src/providers/provider-support.js";
import { cli, sandboxHome } from "../app/cli-harness.js";
import { type FakeOllama, type FakeOpenAi, startFakeOllama, startFakeOpenAI } from "../kit/index.js";
import { makeSandbox, runCliProcess } from "../pipeline/support/e2e.js";
import { searchReplace, unit } from "../pipeline/support/harness.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe("OLLAMA_HOST parsed as Ollama parses it (envconfig.Host)", () => {
  it.each([
    ["127.0.0.1", "http://127.0.0.1:11434"],
    ["127.0.0.1:4000", "http://127.0.0.1:4000"],
    ["127.0.0.1:4000/v1", "http://127.0.0.1:4000/v1"],
    ["localhost", "http://localhost:11434"],
    ["0.0.0.0", "http://127.0.0.1:11434"],
    ["0.0.0.0:5000", "http://127.0.0.1:5000"],
    ["http://box.lan", "http://box.lan:80"],
    ["https://box.lan", "https://box.lan:443"],
    ["https://box.lan:8443/ollama/", "https://box.lan:8443/ollama"],
    ["[::1]:4000", "http://[::1]:4000"],
    ["::1", "http://[::1]:11434"],
    ["ollama.com", "https://ollama.com:443"],
    ["box.lan:notaport", "http://box.lan:11434"],
  ])("%s → %s", (value, expected) => {
    expect(parseOllamaHost(value)).toBe(expected);
  });
});

const plan = { summary: "s", units: [unit("u1", ["lib/deep/nested/util.py"])] };
const accept = { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } };

async function scriptedOllama(): Promise<FakeOllama> {
  const ollama = await startFakeOllama();
  cleanups.push(() => ollama.close());
  ollama.script
    .on({ system: "You are the planner" }, { json: plan })
    .on({ system: "You review one unit" }, accept)
    .on(
      { user: "Unit u1:" },
      { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return x + x") },
    );
  return ollama;
}

function ollamaSandbox(provider: Record<string, unknown>) {
  const sandbox = makeSandbox({
    providers: { local: { type: "ollama", max_retries: 0, ...provider } },
    routing: {
      planner: { provider: "local", model: "qwen2.5-coder:7b" },
      drafter: { provider: "local", model: "qwen2.5-coder:7b" },
    },
  });
  cleanups.push(() => rmSync(resolve(sandbox.repo, ".."), { recursive: true, force: true }));
  return sandbox;
}

describe("/v1 suffixes and OLLAMA_HOST", { timeout: 60_000 }, () => {
  it("a base_url ending in /v1 is corrected with a warning, and the run works", async () => {
    const ollama = await scriptedOllama();
    const sandbox = ollamaSandbox({ base_url: `${ollama.url}/v1` });
    const run = await runCliProcess(sandbox, ["run", "-t", "simplify double"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`warning: local: base_url ${ollama.url}/v1 ends in /v1`);
    expect(ollama.requests.every((request) => !request.path.startsWith("/v1"))).toBe(true);
    const doctor = await runCliProcess(sandbox, ["doctor"]);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toMatch(/^warn +planner .*ends in \/v1/m);
    expect(doctor.stdout).not.toContain("<model>");
  });

  it("OLLAMA_HOST=127.0.0.1:PORT/v1 (no base_url) reaches the server's root with a warning", async () => {
    const ollama = await scriptedOllama();
    const sandbox = ollamaSandbox({});
    sandbox.env.OLLAMA_HOST = `${ollama.url.replace("http://", "")}/v1`;
    const run = await runCliProcess(sandbox, ["run", "-t", "simplify double"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`warning: local: OLLAMA_HOST ${ollama.url}/v1 ends in /v1`);
    expect(run.stderr).not.toContain(":11434");
  });

  it("init writes no base_url, so OLLAMA_HOST stays in charge afterwards", async () => {
    const ollama = await scriptedOllama();
    const { home, env } = sandboxHome();
    const withHost = { ...env, PATH: process.env.PATH ?? "", OLLAMA_HOST: ollama.url };
    const init = await cli(["init"], withHost);
    expect(init.code, init.stderr).toBe(0);
    const written = readFileSync(join(home, ".hierocode.yaml"), "utf8");
    expect(written).not.toContain("base_url");
    const doctor = await cli(["doctor"], withHost);
    expect(doctor.stdout).toContain(`at ${ollama.url}`);
  });
});

describe("a server that is not Ollama", { timeout: 60_000 }, () => {
  let openai: FakeOpenAi;
  it("run exits 4 naming it before any call; doctor fails (exit 10) and says no 'ok' about it", async () => {
    openai = await startFakeOpenAI();
    cleanups.push(() => openai.close());
    const sandbox = ollamaSandbox({ base_url: openai.url });
    const run = await runCliProcess(sandbox, ["run", "-t", "simplify double"]);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toContain(
      `is not an Ollama server (HTTP 404 on /api/version; it answers /v1/models like an OpenAI-compatible server)`,
    );
    expect(run.stderr).toMatch(/hint: did you mean type openai_compatible/);
    expect(openai.requests.some((request) => request.path.includes("chat"))).toBe(false);

    const doctor = await runCliProcess(sandbox, ["doctor"]);
    expect(doctor.code).toBe(10);
    expect(doctor.stdout).toMatch(/FAIL planner .*is not an Ollama server/);
    expect(doctor.stdout).not.toMatch(/ok\s+planner/i);
    expect(doctor.stdout).not.toContain("<model>");
    expect(doctor.stdout).not.toContain("all roles can work");
  });

  it("a 404 from a non-Ollama server on a model call is exit 4, not 'ollama pull <model>'", async () => {
    const { OllamaProvider } = await import("../../src/providers/ollama.js");
    openai = await startFakeOpenAI();
    cleanups.push(() => openai.close());
    const provider = new OllamaProvider(
      "local",
      { type: "ollama", base_url: openai.url, auth: { type: "none" }, max_retries: 0 },
      { env: {} },
    );
    const error = await provider.capacity("qwen2.5-coder:7b").then(
      () => undefined,
      (caught: unknown) => caught as { exitCode: number; message: string },
    );
    expect(error?.exitCode).toBe(4);
    expect(error?.message).toContain("is not an Ollama server");
    expect(error?.message).not.toContain("<model>");
  });
});
