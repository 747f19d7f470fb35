import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { providerSchema } from "../../src/config/schema.js";
import { AbortError, ModelOutputError, ProviderError } from "../../src/errors.js";
import { ClaudeCodeCliProvider } from "../../src/providers/claude-code-cli.js";
import type { GenerateRequest, StreamPart } from "../../src/providers/spec.js";
import {
  type FakeClis,
  type InstallFakeClisOptions,
  installFakeClis,
  waitForProcessExit,
} from "../kit/fake-cli.js";

const repo = mkdtempSync(join(tmpdir(), "hierocode-claude-repo-"));
afterAll(() => rmSync(repo, { recursive: true, force: true }));

let fakes: FakeClis | undefined;
afterEach(() => fakes?.cleanup());

function setup(options: InstallFakeClisOptions = {}, config: Record<string, unknown> = {}) {
  fakes = installFakeClis(options);
  const provider = new ClaudeCodeCliProvider(
    "claude_pro",
    providerSchema.parse({ type: "claude_code_cli", ...config }),
    { env: fakes.env },
  );
  return { provider, fakes };
}

function request(overrides: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    model: "sonnet",
    messages: [{ role: "user", content: "Plan the change" }],
    maxOutputTokens: 2000,
    cwd: repo,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

function lastCall(kit: FakeClis) {
  const calls = kit.logOf("claude").filter((call) => call.argv.includes("-p"));
  const call = calls.at(-1);
  if (!call) throw new Error("claude -p was not called");
  return call;
}

function valueAfter(argv: string[], flag: string): string | undefined {
  const index = argv.indexOf(flag);
  return index < 0 ? undefined : argv[index + 1];
}

describe("ClaudeCodeCliProvider.generate", () => {
  it("sends the prompt on stdin, the system text as --append-system-prompt, tools off, cwd = repo", async () => {
    const { provider, fakes: kit } = setup({
      claudeScript: [{ promptIncludes: "Plan the change", reply: "1. edit a.ts" }],
    });
    const result = await provider.generate(request({ system: "You plan.", cachedContext: "REPO MAP" }));
    expect(result.text).toBe("1. edit a.ts");
    expect(result.finishReason).toBe("stop");
    expect(result.modelId).toBe("claude-sonnet-5");
    expect(result.subscriptionMessages).toBe(1);
    const call = lastCall(kit);
    expect(call.stdin).toBe("Plan the change");
    expect(call.argv.join(" ")).not.toContain("Plan the change");
    expect(call.cwd).toBe(repo);
    expect(call.argv.slice(0, 5)).toEqual(["-p", "--output-format", "json", "--model", "sonnet"]);
    expect(valueAfter(call.argv, "--append-system-prompt")).toBe("You plan.\n\nREPO MAP");
    expect(valueAfter(call.argv, "--tools")).toBe("");
    expect(call.argv).toContain("--no-session-persistence");
    expect(call.argv).not.toContain("--allowedTools");
    expect(call.argv).not.toContain("--max-turns");
  });

  it("sends the output cap as CLAUDE_CODE_MAX_OUTPUT_TOKENS; thinking off at ≤ 1,024; a reply cut there is 'length'", async () => {
    const { provider, fakes: kit } = setup({ claudeScript: [{ reply: "word ".repeat(200) }] });
    const cut = await provider.generate(request({ model: "claude-haiku-4-5", maxOutputTokens: 100 }));
    expect(lastCall(kit)).toMatchObject({ maxOutputTokens: 100, thinking: false });
    expect(cut.finishReason).toBe("length");
    expect(cut.usage.outputTokens).toBe(100);
    const roomy = await provider.generate(request({ maxOutputTokens: 8000 }));
    expect(lastCall(kit)).toMatchObject({ maxOutputTokens: 8000, thinking: true });
    expect(roomy.finishReason).toBe("stop");
  });

  it("returns structured_output as json and passes the schema with --json-schema", async () => {
    const schema = { type: "object", properties: { units: { type: "array" } }, required: ["units"] };
    const { provider, fakes: kit } = setup({
      claudeScript: [{ hasSchema: true, json: { units: [{ id: "u1" }] } }],
    });
    const result = await provider.generate(request({ jsonSchema: schema }));
    expect(result.json).toEqual({ units: [{ id: "u1" }] });
    expect(JSON.parse(valueAfter(lastCall(kit).argv, "--json-schema") ?? "")).toEqual(schema);
  });

  it("falls back to the result text when structured_output is missing", async () => {
    const { provider } = setup({
      claudeScript: [{ structuredOutput: false, json: {}, reply: 'Here:\n```json\n{"ok": true}\n```' }],
    });
    const result = await provider.generate(request({ jsonSchema: { type: "object" } }));
    expect(result.json).toEqual({ ok: true });
  });

  it("sums usage over modelUsage, names the main model and reports the CLI's cost", async () => {
    const modelUsage = {
      "claude-haiku-4-5": {
        inputTokens: 100,
        outputTokens: 20,
        cacheReadInputTokens: 0,
        cacheCreationInputTokens: 0,
        costUSD: 0.0002,
      },
      "claude-opus-4-8": {
        inputTokens: 3000,
        outputTokens: 900,
        cacheReadInputTokens: 5000,
        cacheCreationInputTokens: 700,
        costUSD: 0.04,
      },
    };
    const { provider } = setup({ claudeScript: [{ modelUsage, costUsd: 0.0402 }] });
    const result = await provider.generate(request({ model: "opus" }));
    expect(result.usage).toEqual({
      inputTokens: 3100,
      outputTokens: 920,
      cacheReadTokens: 5000,
      cacheWriteTokens: 700,
    });
    expect(result.modelId).toBe("claude-opus-4-8");
    expect(result.reportedCostUsd).toBe(0.0402);
  });

  it("falls back to the main-loop usage when modelUsage is empty", async () => {
    const usage = {
      inputTokens: 11,
      outputTokens: 22,
      cacheReadInputTokens: 33,
      cacheCreationInputTokens: 44,
    };
    const { provider } = setup({ claudeScript: [{ modelUsage: {}, usage }] });
    const result = await provider.generate(request());
    expect(result.usage).toEqual({
      inputTokens: 11,
      outputTokens: 22,
      cacheReadTokens: 33,
      cacheWriteTokens: 44,
    });
    expect(result.modelId).toBe("sonnet");
  });

  it("maps the real not-logged-in output (is_error with subtype success) to an auth error with the login hint", async () => {
    const { provider } = setup({ claudeMode: "not_logged_in" });
    const error = await failure(provider.generate(request()));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      kind: "auth",
      exitCode: 5,
      hint: "run `claude /login` (or `claude auth login`)",
    });
    expect((error as ProviderError).message).toContain("Not logged in · Please run /login");
  });

  it.each([
    ["error_max_turns", "truncated"],
    ["error_during_execution", "server"],
    ["rate_limit", "rate_limit"],
    ["overloaded", "overloaded"],
    ["api_error_500", "server"],
    ["prompt_too_long", "bad_request"],
  ])("maps fault %s to kind %s", async (fault, kind) => {
    const { provider } = setup({ claudeScript: [{ fault }] });
    const error = await failure(provider.generate(request()));
    expect(error).toMatchObject({ kind });
  });

  it("maps an unknown model to model_not_found", async () => {
    const { provider } = setup();
    expect(await failure(provider.generate(request({ model: "gpt-4o" })))).toMatchObject({
      kind: "model_not_found",
      status: 404,
    });
  });

  it("maps error_max_structured_output_retries to bad model output", async () => {
    const { provider } = setup({ claudeScript: [{ fault: "error_max_structured_output_retries" }] });
    expect(await failure(provider.generate(request({ jsonSchema: { type: "object" } })))).toBeInstanceOf(
      ModelOutputError,
    );
  });

  it("kills the whole process tree on timeout (request.timeoutMs)", async () => {
    const { provider, fakes: kit } = setup({ claudeMode: "hang" });
    const error = await failure(provider.generate(request({ timeoutMs: 800 })));
    expect(error).toMatchObject({ kind: "timeout" });
    const call = lastCall(kit);
    expect(call.childPid).toBeGreaterThan(0);
    expect(await waitForProcessExit(call.pid)).toBe(true);
    expect(await waitForProcessExit(call.childPid ?? 0)).toBe(true);
  });

  it("uses timeout_seconds from the config and SIGKILLs a tree that ignores SIGTERM", async () => {
    const { provider, fakes: kit } = setup({ claudeMode: "hang_hard" }, { timeout_seconds: 0.5 });
    const started = Date.now();
    expect(await failure(provider.generate(request()))).toMatchObject({ kind: "timeout" });
    expect(Date.now() - started).toBeLessThan(6000);
    expect(await waitForProcessExit(lastCall(kit).childPid ?? 0)).toBe(true);
  });

  it("reports a crash with the exit status and the stderr tail", async () => {
    const { provider } = setup({ claudeMode: "crash" });
    const error = await failure(provider.generate(request()));
    expect(error).toMatchObject({ kind: "crash", exitStatus: 1 });
    expect((error as ProviderError).stderrTail).toContain("TypeError: Cannot read properties of undefined");
  });

  it("reports death by signal as a crash", async () => {
    const { provider } = setup({ claudeMode: "signal" });
    const error = await failure(provider.generate(request()));
    expect(error).toMatchObject({ kind: "crash" });
    expect((error as Error).message).toContain("SIGKILL");
  });

  it("aborts on the signal and kills the process tree", async () => {
    const { provider, fakes: kit } = setup({ claudeMode: "hang" });
    const controller = new AbortController();
    const pending = failure(provider.generate(request({ signal: controller.signal })));
    while (!kit.logOf("claude").some((call) => call.outcome === "hang"))
      await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
    expect(await waitForProcessExit(lastCall(kit).childPid ?? 0)).toBe(true);
  });

  it("says how to install claude when the binary is missing", async () => {
    const { provider } = setup({}, { binary: join(repo, "no-such-claude") });
    const error = await failure(provider.generate(request()));
    expect(error).toMatchObject({ kind: "unavailable", exitCode: 4 });
    expect((error as ProviderError).hint).toContain("npm install -g @anthropic-ai/claude-code");
  });

  it("sends a prompt above the 128 KiB argv limit through stdin", async () => {
    const { provider, fakes: kit } = setup();
    const big = `${"x".repeat(250 * 1024)}END`;
    await provider.generate(request({ messages: [{ role: "user", content: big }] }));
    expect(lastCall(kit).stdin).toBe(big);
  });

  it("moves a system text too large for argv into --append-system-prompt-file and deletes the file", async () => {
    const { provider, fakes: kit } = setup();
    const context = "m".repeat(150 * 1024);
    await provider.generate(request({ system: "S", cachedContext: context }));
    const call = lastCall(kit);
    expect(call.argv).not.toContain("--append-system-prompt");
    expect(call.system).toBe(`S\n\n${context}`);
    expect(existsSync(valueAfter(call.argv, "--append-system-prompt-file") ?? "")).toBe(false);
  });

  it("allows only read-only tools in plan mode with a turn limit when exploration is active", async () => {
    const { provider, fakes: kit } = setup();
    await provider.generate(request({ exploration: "active" }));
    const argv = lastCall(kit).argv;
    expect(valueAfter(argv, "--allowedTools")).toBe("Read,Grep,Glob");
    expect(valueAfter(argv, "--tools")).toBe("Read,Grep,Glob");
    expect(valueAfter(argv, "--permission-mode")).toBe("plan");
    expect(valueAfter(argv, "--max-turns")).toBe("8");
  });

  it("renders a conversation into one stdin prompt with earlier turns labelled", async () => {
    const { provider, fakes: kit } = setup();
    await provider.generate(
      request({
        messages: [
          { role: "user", content: "first question" },
          { role: "assistant", content: "first answer" },
          { role: "user", content: "follow-up" },
        ],
      }),
    );
    const stdin = lastCall(kit).stdin ?? "";
    expect(stdin).toContain("[User]\nfirst question");
    expect(stdin).toContain("[Your earlier reply]\nfirst answer");
    expect(stdin.endsWith("[User]\nfollow-up")).toBe(true);
  });

  it("answers scripted rules in order, honouring `times`", async () => {
    const { provider } = setup({
      claudeScript: { rules: [{ fault: "rate_limit", times: 1 }], default: { reply: "second try" } },
    });
    expect(await failure(provider.generate(request()))).toMatchObject({
      kind: "rate_limit",
      isRetryable: true,
    });
    expect((await provider.generate(request())).text).toBe("second try");
  });

  it("warns that temperature is ignored", async () => {
    const { provider } = setup();
    expect((await provider.generate(request({ temperature: 0.2 }))).warnings[0]).toContain("temperature");
  });
});

describe("ClaudeCodeCliProvider.stream", () => {
  async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
    const collected: StreamPart[] = [];
    for await (const part of parts) collected.push(part);
    return collected;
  }

  it("uses stream-json with --verbose and emits text, usage, finish", async () => {
    const { provider, fakes: kit } = setup({ claudeScript: [{ reply: "streamed plan" }] });
    const parts = await collect(provider.stream(request()));
    expect(parts.map((part) => part.type)).toEqual(["text-delta", "usage", "finish"]);
    expect(parts[0]).toEqual({ type: "text-delta", text: "streamed plan" });
    const finish = parts.at(-1);
    expect(finish?.type === "finish" && finish.result.text).toBe("streamed plan");
    const argv = lastCall(kit).argv;
    expect(valueAfter(argv, "--output-format")).toBe("stream-json");
    expect(argv).toContain("--verbose");
  });

  it("throws the auth error without emitting the synthetic not-logged-in text", async () => {
    const { provider } = setup({ claudeMode: "not_logged_in" });
    const seen: StreamPart[] = [];
    const error = await failure(
      (async () => {
        for await (const part of provider.stream(request())) seen.push(part);
      })(),
    );
    expect(error).toMatchObject({ kind: "auth" });
    expect(seen).toEqual([]);
  });

  it("kills the process when the consumer stops early", async () => {
    const { provider, fakes: kit } = setup({ claudeMode: "hang" });
    for await (const part of provider.stream(request())) {
      expect(part.type).toBe("warning"); // the api_retry line
      break;
    }
    expect(await waitForProcessExit(lastCall(kit).childPid ?? 0)).toBe(true);
  });
});

describe("ClaudeCodeCliProvider health and models", () => {
  it("is healthy when installed and logged in, without ever calling -p", async () => {
    const { provider, fakes: kit } = setup();
    expect(await provider.health()).toMatchObject({
      ok: true,
      reachable: true,
      authenticated: true,
      version: "2.1.197",
    });
    expect(kit.logOf("claude").map((call) => call.argv)).toEqual([["--version"], ["auth", "status"]]);
  });

  it("is unhealthy with the login hint when not logged in", async () => {
    const { provider } = setup({ claudeMode: "not_logged_in" });
    expect(await provider.health()).toMatchObject({
      ok: false,
      reachable: true,
      authenticated: false,
      hint: "run `claude /login` (or `claude auth login`)",
    });
  });

  it("lists the static catalogue of aliases and ids", async () => {
    const { provider } = setup();
    const ids = (await provider.listModels()).map((model) => model.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "opus",
        "sonnet",
        "haiku",
        "claude-sonnet-4-6",
        "claude-opus-4-8",
        "claude-haiku-4-5",
      ]),
    );
  });
});
