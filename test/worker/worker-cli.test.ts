import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { type FakeOllama, startFakeOllama } from "../kit/index.js";
import { builtCli, isolatedEnv, runBuilt, runInProcess } from "./cli-io.js";

let fake: FakeOllama | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

const chatty =
  "Here is the code:\n```python\ndef add(a, b):\n    return a + b\n```\nLet me know if you need more.";

describe("hierocode worker", () => {
  it("probes the window: a prompt too long for an 8192-token model is refused before sending (exit 2)", async () => {
    fake = await startFakeOllama({ default: { text: chatty } });
    fake.models[0] = { ...(fake.models[0] as (typeof fake.models)[number]), contextLength: 8192 };
    const env = isolatedEnv({ OLLAMA_HOST: fake.url, HACO_WORKER_MODEL: "qwen2.5-coder:7b" });
    const prompt = `Implement this.\n${"def handler(request): return compute(request.payload, retries=3)\n".repeat(1200)}`;
    const result = await runInProcess(["worker", prompt], env);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toMatch(
      /the prompt \(\d+ tokens\) plus the output budget \(4096\) exceeds the context of qwen2.5-coder:7b \(num_ctx 8192\) by \d+ tokens; nothing was sent/,
    );
    expect(fake.requestsTo("/api/chat")).toHaveLength(0);
  });

  it("sends one num_ctx from the model's window (warm and call alike), never above it", async () => {
    fake = await startFakeOllama({ default: { text: chatty } });
    const env = isolatedEnv({ OLLAMA_HOST: fake.url, HACO_WORKER_MODEL: "qwen2.5-coder:7b" });
    const result = await runInProcess(["worker", "--warm", "Write add(a, b) in Python."], env);
    expect(result.code, result.stderr).toBe(0);
    const contexts = fake
      .requestsTo("/api/chat")
      .map((request) => (request.body as { options: { num_ctx: number } }).options.num_ctx);
    expect(contexts).toHaveLength(2);
    expect(new Set(contexts).size).toBe(1);
    expect(contexts[0]).toBeLessThanOrEqual(32768);
    expect(fake.runners.reloads).toBe(0);
  });

  it("prints only the artifact on stdout", async () => {
    fake = await startFakeOllama({ default: { text: chatty } });
    const env = isolatedEnv({ OLLAMA_HOST: fake.url, HACO_WORKER_MODEL: "qwen2.5-coder:7b" });
    const result = await runInProcess(["worker", "Write add(a, b) in Python."], env);
    expect(result).toEqual({ code: 0, stdout: "def add(a, b):\n    return a + b\n", stderr: "" });
    expect(fake.lastRequest("/api/chat").body.model).toBe("qwen2.5-coder:7b");
  });

  it("uses routing.drafter from the config file when no override is given", async () => {
    fake = await startFakeOllama({ default: { text: chatty } });
    const env = isolatedEnv();
    const configFile = join(env.HOME ?? "", "worker.yaml");
    writeFileSync(
      configFile,
      `providers:\n  box:\n    type: ollama\n    base_url: ${fake.url}\nrouting:\n  drafter:\n    provider: box\n    model: llama3.2\n`,
    );
    const result = await runInProcess(["worker", "--json", "Write add."], {
      ...env,
      HIEROCODE_CONFIG: configFile,
    });
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, model: "llama3.2", provider: "box" });
    expect(fake.lastRequest("/api/chat").body.model).toBe("llama3.2");
  });

  it("--model overrides HACO_WORKER_MODEL; a missing model exits 6 with HACO's exact message on stderr", async () => {
    fake = await startFakeOllama({ default: { text: chatty } });
    const env = isolatedEnv({ OLLAMA_HOST: fake.url, HACO_WORKER_MODEL: "qwen2.5-coder:7b" });
    const result = await runInProcess(["worker", "--model", "qwen2.5-coder:32b", "Write add."], env);
    expect(result.code).toBe(ExitCode.modelNotFound);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("model 'qwen2.5-coder:32b' not found. Run: ollama pull qwen2.5-coder:32b\n");
  });

  it("--json prints {ok, output, model, timing} and, on failure, error with the exit code", async () => {
    fake = await startFakeOllama({ default: { text: chatty } });
    const env = isolatedEnv({ OLLAMA_HOST: fake.url, HACO_WORKER_MODEL: "qwen2.5-coder:7b" });
    const ok = await runInProcess(["worker", "--json", "Write add."], env);
    expect(ok.code).toBe(0);
    const parsed = JSON.parse(ok.stdout);
    expect(parsed).toMatchObject({
      ok: true,
      output: "def add(a, b):\n    return a + b",
      model: "qwen2.5-coder:7b",
    });
    expect(parsed).not.toHaveProperty("error");
    expect(typeof parsed.timing.total_ms).toBe("number");

    const missing = await runInProcess(["worker", "--json", "-m", "nope:1b", "Write add."], env);
    expect(missing.code).toBe(ExitCode.modelNotFound);
    expect(JSON.parse(missing.stdout)).toMatchObject({
      ok: false,
      output: "",
      error: "model 'nope:1b' not found. Run: ollama pull nope:1b",
      model: "nope:1b",
    });
  });

  it("--format diff returns a bare patch; a reply without one exits with bad model output", async () => {
    fake = await startFakeOllama({
      rules: [{ user: "broken", reply: { text: "I would change x." } }],
      default: { text: "```diff\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n```\nDone." },
    });
    const env = isolatedEnv({ OLLAMA_HOST: fake.url, HACO_WORKER_MODEL: "qwen2.5-coder:7b" });
    const good = await runInProcess(["worker", "--format", "diff", "Set x to 2."], env);
    expect(good.stdout).toBe("--- a/x.py\n+++ b/x.py\n@@ -1,1 +1,1 @@\n-x = 1\n+x = 2\n");
    const bad = await runInProcess(["worker", "--format", "diff", "--retries", "0", "broken"], env);
    expect(bad.code).toBe(ExitCode.badModelOutput);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain("unified diff");
    const unknown = await runInProcess(["worker", "--format", "yaml", "x"], env);
    expect(unknown.code).toBe(ExitCode.usage);
  });

  it("a reply cut off at --max-tokens is a failure (exit 7), never printed as the artifact", async () => {
    fake = await startFakeOllama({ default: { text: chatty } });
    const env = isolatedEnv({ OLLAMA_HOST: fake.url, HACO_WORKER_MODEL: "qwen2.5-coder:7b" });
    const cut = await runInProcess(["worker", "--max-tokens", "5", "Write add."], env);
    expect(cut.code).toBe(ExitCode.providerCall);
    expect(cut.stdout).toBe("");
    expect(cut.stderr).toContain("cut off at 5 output tokens");
    const json = await runInProcess(["worker", "--json", "--max-tokens", "5", "Write add."], env);
    expect(json.code).toBe(ExitCode.providerCall);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, output: "" });
  });

  it("checks its numbers before any call: --max-tokens and --retries whole, --timeout above 0 (exit 2)", async () => {
    fake = await startFakeOllama({ default: { text: chatty } });
    const env = isolatedEnv({ OLLAMA_HOST: fake.url, HACO_WORKER_MODEL: "qwen2.5-coder:7b" });
    for (const flags of [
      ["--max-tokens", "0"],
      ["--max-tokens", "2.5"],
      ["--retries", "1.5"],
      ["--timeout", "0"],
      ["--timeout", "abc"],
    ]) {
      const result = await runInProcess(["worker", ...flags, "Write add."], env);
      expect(result.code, flags.join(" ")).toBe(ExitCode.usage);
      expect(result.stderr).toMatch(new RegExp(`^error: ${flags[0]} `));
    }
    expect(fake.requestsTo("/api/chat")).toHaveLength(0);
  });

  it("--warm with an empty prompt only loads the model and says so on stderr", async () => {
    fake = await startFakeOllama({ default: { text: chatty } });
    const env = isolatedEnv({ OLLAMA_HOST: fake.url, HACO_WORKER_MODEL: "qwen2.5-coder:7b" });
    const result = await runBuilt(["worker", "--warm"], { env, input: "" });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^qwen2\.5-coder:7b is loaded \(\d+ ms\)\n$/);
    expect(fake.requestsTo("/api/chat").map((request) => request.body.messages)).toEqual([[]]);
  });

  it("reads the prompt from stdin (no argument, or -) in the built CLI", async () => {
    expect(existsSync(builtCli), "run `npm run build` first (npm test does)").toBe(true);
    fake = await startFakeOllama({ default: { text: chatty } });
    const env = isolatedEnv({ OLLAMA_HOST: fake.url, HACO_WORKER_MODEL: "qwen2.5-coder:7b" });
    const piped = await runBuilt(["worker"], {
      env,
      input: "Ticket: write add(a, b)\nwith 'quotes' and $vars\n",
    });
    expect(piped).toMatchObject({ code: 0, stdout: "def add(a, b):\n    return a + b\n" });
    expect(fake.lastRequest("/api/chat").body.messages[1].content).toBe(
      "Ticket: write add(a, b)\nwith 'quotes' and $vars\n",
    );
    const dash = await runBuilt(["worker", "-", "--format", "text"], { env, input: "Summarise." });
    expect(dash.code).toBe(0);
    expect(fake.lastRequest("/api/chat").body.messages[1].content).toBe("Summarise.");
  });
});
