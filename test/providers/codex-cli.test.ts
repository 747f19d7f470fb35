import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { providerSchema } from "../../src/config/schema.js";
import { AbortError, ProviderError } from "../../src/errors.js";
import { CodexCliProvider, tomlBasicString } from "../../src/providers/codex-cli.js";
import type { GenerateRequest, StreamPart } from "../../src/providers/spec.js";
import {
  type FakeClis,
  type InstallFakeClisOptions,
  installFakeClis,
  waitForProcessExit,
} from "../kit/fake-cli.js";

const repo = mkdtempSync(join(tmpdir(), "hierocode-codex-repo-"));
afterAll(() => rmSync(repo, { recursive: true, force: true }));

let fakes: FakeClis | undefined;
afterEach(() => fakes?.cleanup());

function setup(options: InstallFakeClisOptions = {}, config: Record<string, unknown> = {}) {
  fakes = installFakeClis(options);
  const provider = new CodexCliProvider(
    "codex_plus",
    providerSchema.parse({ type: "codex_cli", ...config }),
    { env: fakes.env },
  );
  return { provider, fakes };
}

function request(overrides: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    model: "default",
    messages: [{ role: "user", content: "Review this diff" }],
    maxOutputTokens: 1000,
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

function lastExec(kit: FakeClis) {
  const call = kit
    .logOf("codex")
    .filter((entry) => entry.argv[0] === "exec")
    .at(-1);
  if (!call) throw new Error("codex exec was not called");
  return call;
}

describe("CodexCliProvider.generate", () => {
  it("runs codex exec --json with the prompt on stdin, read-only, in an empty folder (not the repository), no -m for the default model", async () => {
    const { provider, fakes: kit } = setup({
      codexScript: [{ promptIncludes: "Review this diff", reply: "looks fine" }],
    });
    const result = await provider.generate(request());
    expect(result).toMatchObject({
      text: "looks fine",
      finishReason: "stop",
      subscriptionMessages: 1,
      modelId: "default",
    });
    const call = lastExec(kit);
    const folder = call.argv[4] ?? "";
    expect(call.argv).toEqual([
      "exec",
      "--json",
      "--skip-git-repo-check",
      "-C",
      folder,
      "--sandbox",
      "read-only",
      "-",
    ]);
    // The model can read files in its folder: without exploration it is an empty temporary one,
    // removed after the call, so the repository's files (.env …) are out of its reach.
    expect(folder.startsWith(tmpdir())).toBe(true);
    expect(folder).not.toBe(repo);
    expect(call.cwd).toBe(folder);
    expect(existsSync(folder)).toBe(false);
    expect(call.stdin).toBe("Review this diff");
  });

  it("works in the repository only with exploration: active", async () => {
    const { provider, fakes: kit } = setup({
      codexScript: [{ promptIncludes: "Review this diff", reply: "looks fine" }],
    });
    await provider.generate(request({ exploration: "active" }));
    const call = lastExec(kit);
    expect(call.argv.slice(3, 5)).toEqual(["-C", repo]);
    expect(call.cwd).toBe(repo);
  });

  it("passes a named model with -m and the system text as a TOML-quoted developer_instructions", async () => {
    const { provider, fakes: kit } = setup();
    const system = 'Be strict.\nQuote "exactly" and keep C:\\paths\ttabs';
    await provider.generate(request({ model: "gpt-5.5", system }));
    const call = lastExec(kit);
    expect(call.argv.slice(7, 9)).toEqual(["-m", "gpt-5.5"]);
    expect(call.argv).toContain(`developer_instructions=${tomlBasicString(system)}`);
    expect(call.system).toBe(system);
  });

  it("ignores {type:error} reconnect lines and returns the last agent message", async () => {
    const { provider } = setup({
      codexMode: "flaky",
      codexScript: { default: { reply: "after reconnects" } },
    });
    expect((await provider.generate(request())).text).toBe("after reconnects");
  });

  it("maps turn.completed usage: cached tokens are taken out of input_tokens", async () => {
    const usage = {
      input_tokens: 1000,
      cached_input_tokens: 400,
      output_tokens: 50,
      reasoning_output_tokens: 10,
      cache_write_input_tokens: 7,
    };
    const { provider } = setup({ codexScript: [{ usage }] });
    expect((await provider.generate(request())).usage).toEqual({
      inputTokens: 600,
      outputTokens: 50,
      cacheReadTokens: 400,
      cacheWriteTokens: 7,
    });
  });

  it("sends no output cap (codex has none) and notes an answer over it; reasoning tokens do not count", async () => {
    const usage = {
      input_tokens: 900,
      cached_input_tokens: 0,
      output_tokens: 400,
      reasoning_output_tokens: 250,
    };
    const { provider, fakes: kit } = setup({ codexScript: [{ usage, reply: "a long verdict" }] });
    const over = await provider.generate(request({ maxOutputTokens: 100 }));
    expect(over.warnings).toContain(
      "codex_plus: codex has no output cap; the answer used 150 output tokens of the 100 asked for",
    );
    expect(lastExec(kit).argv.join(" ")).not.toMatch(/max_output_tokens|max_tokens/);
    const within = await provider.generate(request({ maxOutputTokens: 150 }));
    expect(within.warnings.some((warning) => warning.includes("no output cap"))).toBe(false);
  });

  it("treats a missing cache_write_input_tokens as 0", async () => {
    const { provider } = setup({
      codexScript: [{ usage: { input_tokens: 10, cached_input_tokens: 0, output_tokens: 2 } }],
    });
    expect((await provider.generate(request())).usage).toEqual({
      inputTokens: 10,
      outputTokens: 2,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
  });

  it("writes the schema to a temp file for --output-schema, parses the JSON answer, removes the file", async () => {
    const schema = {
      type: "object",
      properties: { verdict: { type: "string" } },
      required: ["verdict"],
      additionalProperties: false,
    };
    const { provider, fakes: kit } = setup({
      codexScript: [{ hasSchema: true, json: { verdict: "accept" } }],
    });
    const result = await provider.generate(request({ jsonSchema: schema }));
    expect(result.json).toEqual({ verdict: "accept" });
    const call = lastExec(kit);
    expect(call.outputSchema).toEqual(schema);
    expect(typeof call.schemaPath).toBe("string");
    expect(existsSync(call.schemaPath as string)).toBe(false);
  });

  it("removes the schema file when the turn fails too", async () => {
    const { provider, fakes: kit } = setup({ codexMode: "turn_failed" });
    await failure(provider.generate(request({ jsonSchema: { type: "object" } })));
    expect(existsSync(lastExec(kit).schemaPath as string)).toBe(false);
  });

  it("maps an unauthorized turn.failed to an auth error with the login hint", async () => {
    const { provider } = setup({ codexMode: "turn_failed" });
    const error = await failure(provider.generate(request()));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "auth", hint: "run `codex login` (or set CODEX_API_KEY)" });
    expect((error as Error).message).toContain("401 Unauthorized");
  });

  it.each([
    ["You've hit your usage limit. Try again later.", "rate_limit"],
    ["The model `gpt-9` does not exist or you do not have access to it.", "model_not_found"],
    ["unexpected status 503 Service Unavailable", "overloaded"],
    ["unexpected status 500 Internal Server Error", "server"],
    ["Your input exceeds the context window of this model (too long)", "bad_request"],
    ["something odd happened after 1401 tokens", "stream"],
  ])("classifies turn.failed %j as %s", async (message, kind) => {
    const { provider } = setup({ codexScript: [{ fault: "turn_failed", message }] });
    expect(await failure(provider.generate(request()))).toMatchObject({ kind });
  });

  it("a codex that retries forever is stopped at the timeout, its tree killed, and called 'not logged in' when its login check says so", async () => {
    const { provider, fakes: kit } = setup({
      codexMode: "not_logged_in",
      extraEnv: { FAKE_CODEX_NETWORK_ERROR_INTERVAL_MS: "100" },
    });
    const error = await failure(provider.generate(request({ timeoutMs: 1000 })));
    // Issue 9: the hang of a logged-out codex is an auth failure (exit 5 + login), not a slow model.
    expect(error).toMatchObject({
      kind: "auth",
      exitCode: 5,
      hint: "run `codex login` (or set CODEX_API_KEY)",
    });
    expect((error as Error).message).toContain("not logged in");
    expect(await waitForProcessExit(lastExec(kit).childPid ?? 0)).toBe(true);
  });

  it("reports a panic as a crash with exit status 101 and the stderr tail", async () => {
    const { provider } = setup({ codexMode: "crash" });
    const error = await failure(provider.generate(request()));
    expect(error).toMatchObject({ kind: "crash", exitStatus: 101 });
    expect((error as ProviderError).stderrTail).toContain("panicked");
  });

  it("reports death by signal as a crash", async () => {
    const { provider } = setup({ codexMode: "signal" });
    const error = await failure(provider.generate(request()));
    expect(error).toMatchObject({ kind: "crash" });
    expect((error as Error).message).toContain("SIGKILL");
  });

  it("reports a run that ends without turn.completed (e.g. rejected arguments) as a crash", async () => {
    const { provider } = setup({}, { binary: "false" });
    expect(await failure(provider.generate(request()))).toMatchObject({ kind: "crash", exitStatus: 1 });
  });

  it("aborts on the signal and kills the tree", async () => {
    const { provider, fakes: kit } = setup({ codexMode: "hang" });
    const controller = new AbortController();
    const pending = failure(provider.generate(request({ signal: controller.signal })));
    while (!kit.logOf("codex").some((call) => call.outcome === "hang"))
      await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
    expect(await waitForProcessExit(lastExec(kit).childPid ?? 0)).toBe(true);
  });

  it("says how to install codex when the binary is missing", async () => {
    const { provider } = setup({}, { binary: join(repo, "no-such-codex") });
    const error = await failure(provider.generate(request()));
    expect(error).toMatchObject({ kind: "unavailable" });
    expect((error as ProviderError).hint).toContain("@openai/codex");
  });

  it("sends a 250 KB prompt and the cached context through stdin", async () => {
    const { provider, fakes: kit } = setup();
    const big = "y".repeat(250 * 1024);
    await provider.generate(
      request({ cachedContext: "REPO MAP", messages: [{ role: "user", content: big }] }),
    );
    const stdin = lastExec(kit).stdin ?? "";
    expect(stdin.startsWith("<context>\nREPO MAP\n</context>")).toBe(true);
    expect(stdin.endsWith(big)).toBe(true);
  });

  it("moves a system text too large for argv into the prompt", async () => {
    const { provider, fakes: kit } = setup();
    const system = "s".repeat(120 * 1024);
    await provider.generate(request({ system }));
    const call = lastExec(kit);
    expect(call.argv).not.toContain("-c");
    expect(call.stdin?.startsWith(`<instructions>\n${system}`)).toBe(true);
  });
});

describe("CodexCliProvider stream, health, models", () => {
  it("streams the agent message, then usage and finish", async () => {
    const { provider } = setup({ codexScript: [{ reply: "streamed" }] });
    const parts: StreamPart[] = [];
    for await (const part of provider.stream(request())) parts.push(part);
    expect(parts.map((part) => part.type)).toEqual(["text-delta", "usage", "finish"]);
  });

  it("is healthy when logged in, and never runs codex exec to find out", async () => {
    const { provider, fakes: kit } = setup();
    expect(await provider.health()).toMatchObject({ ok: true, authenticated: true, version: "0.169.0" });
    expect(kit.logOf("codex").some((call) => call.argv[0] === "exec")).toBe(false);
  });

  it("is unhealthy when not logged in", async () => {
    const { provider } = setup({ codexMode: "not_logged_in" });
    expect(await provider.health()).toMatchObject({ ok: false, reachable: true, authenticated: false });
  });

  it("lists a static catalogue", async () => {
    const { provider } = setup();
    const ids = (await provider.listModels()).map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(["gpt-6.1-sol", "gpt-5.5", "default"]));
  });
});
