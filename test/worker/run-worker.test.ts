import { afterEach, describe, expect, it } from "vitest";
import { runWorker, type WorkerRequest } from "../../src/app/worker.js";
import { ExitCode } from "../../src/errors.js";
import { OllamaProvider } from "../../src/providers/ollama.js";
import { type FakeOllama, instantRuntime, startFakeOllama } from "../kit/index.js";

let fake: FakeOllama | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

function request(server: FakeOllama, overrides: Partial<WorkerRequest> = {}): WorkerRequest {
  const provider = new OllamaProvider(
    "local",
    { type: "ollama", base_url: server.url, auth: { type: "none" }, max_retries: 0 },
    instantRuntime().runtime,
  );
  return {
    prompt: "Write add(a, b).",
    format: "code",
    provider,
    model: "qwen2.5-coder:7b",
    timeoutMs: 5_000,
    retries: 1,
    maxOutputTokens: 512,
    ...overrides,
  };
}

describe("runWorker", () => {
  it("returns only the artifact, with the worker instructions sent as the system prompt", async () => {
    fake = await startFakeOllama({
      default: { text: "Sure! Here you go:\n```python\ndef add(a, b):\n    return a + b\n```\nEnjoy!" },
    });
    const result = await runWorker(request(fake));
    expect(result).toMatchObject({
      ok: true,
      output: "def add(a, b):\n    return a + b",
      model: "qwen2.5-coder:7b",
      provider: "local",
    });
    expect(result.timing.attempts).toBe(1);
    expect(Object.keys(result.timing).sort()).toEqual(["attempts", "check_ms", "generate_ms", "total_ms"]);
    const body = fake.lastRequest("/api/chat").body;
    expect(body.messages[0].role).toBe("system");
    expect(body.messages[0].content).toContain("Output only the requested artifact");
    expect(body.messages[1]).toEqual({ role: "user", content: "Write add(a, b)." });
  });

  it("fails fast with HACO's message when the model is not pulled, without calling the model", async () => {
    fake = await startFakeOllama();
    const result = await runWorker(request(fake, { model: "deepseek-coder:6.7b" }));
    expect(result.ok).toBe(false);
    expect(result.error).toBe("model 'deepseek-coder:6.7b' not found. Run: ollama pull deepseek-coder:6.7b");
    expect(result.failure?.exitCode).toBe(ExitCode.modelNotFound);
    expect(fake.requestsTo("/api/chat")).toHaveLength(0);
  });

  it("retries once when a diff comes back malformed, telling the model what was wrong", async () => {
    fake = await startFakeOllama({
      rules: [{ reply: { text: "I changed the add function to use plus." }, times: 1 }],
      default: { text: "--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n" },
    });
    const result = await runWorker(request(fake, { format: "diff" }));
    expect(result.ok).toBe(true);
    expect(result.output).toBe("--- a/m.py\n+++ b/m.py\n@@ -1,1 +1,1 @@\n-x = 1\n+x = 2");
    expect(result.timing.attempts).toBe(2);
    const retry = fake.lastRequest("/api/chat").body.messages;
    expect(retry.map((message: { role: string }) => message.role)).toEqual([
      "system",
      "user",
      "assistant",
      "user",
    ]);
    expect(retry[3].content).toContain("unified diff");
  });

  it("gives up after the retries with a bad-model-output failure", async () => {
    fake = await startFakeOllama({ default: { text: "no diff, just words" } });
    const result = await runWorker(request(fake, { format: "diff", retries: 1 }));
    expect(result.ok).toBe(false);
    expect(result.failure?.exitCode).toBe(ExitCode.badModelOutput);
    expect(fake.requestsTo("/api/chat")).toHaveLength(2);
  });

  it("--warm loads the model with an empty chat before the prompt, and alone when there is no prompt", async () => {
    fake = await startFakeOllama({ default: { text: "x = 1" } });
    const result = await runWorker(request(fake, { warm: true, prompt: "", keepAlive: "30m" }));
    expect(result.ok).toBe(true);
    expect(result.output).toBe("");
    expect(result.timing.warm_ms).toBeGreaterThanOrEqual(0);
    const chats = fake.requestsTo("/api/chat");
    expect(chats).toHaveLength(1);
    expect(chats[0]?.body.messages).toEqual([]);
    expect(chats[0]?.body.keep_alive).toBe("30m");
  });
});
