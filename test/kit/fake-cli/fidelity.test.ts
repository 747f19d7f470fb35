/**
 * The fakes must print what the real programs print (shared/reference/protocols.md §1), byte
 * for byte where the reference shows the output.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { installFakeClis, waitForProcessExit } from "../fake-cli.js";

const kit = installFakeClis();
const outsideGit = mkdtempSync(join(tmpdir(), "hierocode-fidelity-"));
afterAll(() => {
  kit.cleanup();
  rmSync(outsideGit, { recursive: true, force: true });
});

function run(
  name: "claude" | "codex",
  args: string[],
  options: { mode?: string; input?: string; env?: Record<string, string> } = {},
) {
  const upper = name.toUpperCase();
  const result = spawnSync(name, args, {
    cwd: outsideGit,
    env: { ...kit.env, HOME: "/home/nobody", [`FAKE_${upper}_MODE`]: options.mode ?? "ok", ...options.env },
    input: options.input ?? "",
    encoding: "utf8",
    timeout: 10_000,
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

// protocols.md §1b, verbatim, with the elided ids as placeholders.
const notLoggedInLine =
  '{"type":"result","subtype":"success","is_error":true,"api_error_status":null,"duration_ms":161,"duration_api_ms":0,"num_turns":1,"result":"Not logged in · Please run /login","stop_reason":"stop_sequence","session_id":"SESSION","total_cost_usd":0,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0,"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard","cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":0},"inference_geo":"","iterations":[],"speed":"standard"},"modelUsage":{},"permission_denials":[],"terminal_reason":"completed","fast_mode_state":"off","uuid":"UUID"}';

function maskIds(line: string): string {
  return line
    .replace(/"session_id":"[^"]+"/, '"session_id":"SESSION"')
    .replace(/"uuid":"[^"]+"(?=}$)/, '"uuid":"UUID"');
}

describe("fake claude", () => {
  it("--version", () => {
    expect(run("claude", ["--version"])).toEqual({
      stdout: "2.1.197 (Claude Code)\n",
      stderr: "",
      status: 0,
    });
  });

  it("-p --output-format json when not logged in: the exact line, rc 1", () => {
    const result = run("claude", ["-p", "Say hi", "--output-format", "json"], { mode: "not_logged_in" });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("");
    expect(maskIds(result.stdout.trimEnd())).toBe(notLoggedInLine);
  });

  it("-p text when not logged in", () => {
    expect(run("claude", ["-p", "Say hi"], { mode: "not_logged_in" })).toEqual({
      stdout: "Not logged in · Please run /login\n",
      stderr: "",
      status: 1,
    });
  });

  it("stream-json --verbose when not logged in: init, synthetic assistant, result", () => {
    const result = run("claude", ["-p", "Say hi", "--output-format", "stream-json", "--verbose"], {
      mode: "not_logged_in",
    });
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    const [init, assistant] = lines.map((line) => JSON.parse(line));
    expect(init).toMatchObject({
      type: "system",
      subtype: "init",
      cwd: outsideGit,
      apiKeySource: "none",
      claude_code_version: "2.1.197",
    });
    expect(assistant).toMatchObject({
      type: "assistant",
      error: "authentication_failed",
      message: {
        model: "<synthetic>",
        content: [{ type: "text", text: "Not logged in · Please run /login" }],
      },
    });
    expect(maskIds(lines[2] ?? "")).toBe(notLoggedInLine);
    expect(result.status).toBe(1);
  });

  it("--json-schema with a 2020-12 $schema is refused as the real 2.1.332 refuses it; without it, the login check answers", () => {
    const schema = { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" };
    const refused = run("claude", ["-p", "--output-format", "json", "--json-schema", JSON.stringify(schema)], {
      input: "hi",
    });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(
      'Error: --json-schema is not a valid JSON Schema: no schema with key or ref "https://json-schema.org/draft/2020-12/schema"\n',
    );
    const accepted = run("claude", ["-p", "--output-format", "json", "--json-schema", '{"type":"object"}'], {
      input: "hi",
      mode: "not_logged_in",
    });
    expect(accepted.stdout).toContain("Not logged in");
  });

  it("stream-json without --verbose is refused", () => {
    expect(run("claude", ["-p", "x", "--output-format", "stream-json"])).toEqual({
      stdout: "",
      stderr: "Error: When using --print, --output-format=stream-json requires --verbose\n",
      status: 1,
    });
  });

  it("-p without a prompt and with empty stdin", () => {
    expect(run("claude", ["-p"])).toEqual({
      stdout: "",
      stderr:
        "Error: Input must be provided either through stdin or as a prompt argument when using --print\n",
      status: 1,
    });
  });

  it("auth status: pretty JSON, and the --text line", () => {
    expect(run("claude", ["auth", "status"], { mode: "not_logged_in" })).toEqual({
      stdout: '{\n  "loggedIn": false,\n  "authMethod": "none",\n  "apiProvider": "firstParty"\n}\n',
      stderr: "",
      status: 1,
    });
    expect(run("claude", ["auth", "status", "--text"], { mode: "not_logged_in" })).toEqual({
      stdout: "Not logged in. Run claude auth login to authenticate.\n",
      stderr: "",
      status: 1,
    });
  });

  it("auth status with ANTHROPIC_API_KEY (not validated)", () => {
    const result = run("claude", ["auth", "status"], {
      mode: "not_logged_in",
      env: { ANTHROPIC_API_KEY: "dummy" },
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      loggedIn: true,
      authMethod: "api_key",
      apiProvider: "firstParty",
      apiKeySource: "ANTHROPIC_API_KEY",
    });
  });

  it("a success result carries modelUsage and structured_output", () => {
    const result = run(
      "claude",
      [
        "-p",
        "--output-format",
        "json",
        "--model",
        "haiku",
        "--json-schema",
        '{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}',
      ],
      { input: "hi" },
    );
    const line = JSON.parse(result.stdout);
    expect(line).toMatchObject({
      type: "result",
      subtype: "success",
      is_error: false,
      structured_output: { a: 0 },
      terminal_reason: "completed",
    });
    expect(Object.keys(line.modelUsage)).toEqual(["claude-haiku-4-5"]);
    expect(Object.keys(line.modelUsage["claude-haiku-4-5"])).toEqual(
      expect.arrayContaining([
        "inputTokens",
        "outputTokens",
        "cacheReadInputTokens",
        "cacheCreationInputTokens",
        "costUSD",
        "contextWindow",
      ]),
    );
  });
});

describe("fake claude: the output cap (CLAUDE_CODE_MAX_OUTPUT_TOKENS, as read from the 2.1.332 binary)", () => {
  const ask = (env: Record<string, string>, model = "sonnet") =>
    JSON.parse(
      run("claude", ["-p", "--output-format", "json", "--model", model], {
        input: "x".repeat(400),
        env: { FAKE_CLAUDE_SCRIPT: "", ...env },
      }).stdout,
    ) as { result: string; stop_reason: string; is_error: boolean; usage: { output_tokens: number } };

  it("cuts a reply longer than the cap there, with stop_reason max_tokens", () => {
    const line = ask({ CLAUDE_CODE_MAX_OUTPUT_TOKENS: "5", MAX_THINKING_TOKENS: "0" });
    expect(line).toMatchObject({ is_error: false, stop_reason: "max_tokens", usage: { output_tokens: 5 } });
    expect(line.result.length).toBe(20);
  });

  it("ignores an invalid value (the default applies), as the real binary does", () => {
    const line = ask({ CLAUDE_CODE_MAX_OUTPUT_TOKENS: "abc" });
    expect(line).toMatchObject({ is_error: false, stop_reason: "end_turn" });
  });

  it("fails a cap ≤ 1,024 with thinking on for a fixed-budget model, like the API", () => {
    const line = ask({ CLAUDE_CODE_MAX_OUTPUT_TOKENS: "100" }, "claude-haiku-4-5");
    expect(line.is_error).toBe(true);
    expect(line.result).toContain("max_tokens` must be greater than `thinking.budget_tokens");
    expect(ask({ CLAUDE_CODE_MAX_OUTPUT_TOKENS: "100", MAX_THINKING_TOKENS: "0" }, "claude-haiku-4-5").is_error).toBe(
      false,
    );
  });
});

describe("fake codex", () => {
  it("--version", () => {
    expect(run("codex", ["--version"])).toEqual({ stdout: "codex-cli 0.169.0\n", stderr: "", status: 0 });
  });

  it("login status when not logged in: stderr only, rc 1, env keys ignored", () => {
    expect(run("codex", ["login", "status"], { mode: "not_logged_in", env: { CODEX_API_KEY: "x" } })).toEqual(
      { stdout: "", stderr: "Not logged in\n", status: 1 },
    );
  });

  it("doctor --json: fail without credentials, ok with CODEX_API_KEY", () => {
    const fail = run("codex", ["doctor", "--json"], { mode: "not_logged_in" });
    expect(fail.status).toBe(1);
    expect(JSON.parse(fail.stdout)).toEqual({
      schemaVersion: 1,
      overallStatus: "fail",
      codexVersion: "0.169.0",
      checks: {
        "auth.credentials": {
          id: "auth.credentials",
          status: "fail",
          summary: "no Codex credentials were found",
          remediation: "Run codex login or provide an API key through a supported auth env var.",
        },
      },
    });
    const ok = JSON.parse(
      run("codex", ["doctor", "--json"], { mode: "not_logged_in", env: { CODEX_API_KEY: "x" } }).stdout,
    );
    expect(ok.checks["auth.credentials"]).toMatchObject({
      status: "ok",
      summary: "auth is provided by environment",
      details: { "auth env vars present": "CODEX_API_KEY" },
    });
  });

  it("exec outside a git repo without --skip-git-repo-check", () => {
    const result = run("codex", ["exec", "--json", "Say hi"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "Not inside a trusted directory and --skip-git-repo-check was not specified.\n",
    );
  });

  it("exec --json: reconnect error lines, then items, then turn.completed", () => {
    const result = run("codex", ["exec", "--json", "--skip-git-repo-check", "-"], {
      mode: "flaky",
      input: "Say hi",
    });
    const events = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.map((event) => event.type)).toEqual([
      "thread.started",
      "turn.started",
      "error",
      "error",
      "error",
      "error",
      "item.completed",
      "item.completed",
      "item.completed",
      "turn.completed",
    ]);
    expect(events[2]).toEqual({
      type: "error",
      message:
        "Reconnecting... 2/5 (stream disconnected before completion: failed to lookup address information: Name does not resolve)",
    });
    expect(events.at(-1).usage).toMatchObject({
      input_tokens: expect.any(Number),
      cached_input_tokens: 0,
      output_tokens: expect.any(Number),
    });
  });

  it("unknown -c key under --strict-config", () => {
    const result = run("codex", [
      "exec",
      "--strict-config",
      "--skip-git-repo-check",
      "-c",
      "bogus_key_xyz=1",
      "hi",
    ]);
    expect(result).toMatchObject({
      status: 1,
      stderr:
        "Error loading config.toml: unknown configuration field `bogus_key_xyz` in -c/--config override\n",
    });
  });

  it("has no output-cap config key (codex 0.171.0 rejects them under --strict-config)", () => {
    for (const key of ["model_max_output_tokens", "max_output_tokens"]) {
      const result = run("codex", ["exec", "--strict-config", "--skip-git-repo-check", "-c", `${key}=100`, "hi"]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`unknown configuration field \`${key}\``);
    }
  });

  it("warns about PATH aliases on stderr when HOME is under a temporary folder", () => {
    const result = run("codex", ["--version"], { env: { HOME: join(tmpdir(), "home") } });
    expect(result.stdout).toBe("codex-cli 0.169.0\n");
    expect(result.stderr).toMatch(
      /^WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir/,
    );
  });
});

describe("installFakeClis", () => {
  it("isolatePath leaves out programs that were not installed", () => {
    const isolated = installFakeClis({ install: ["codex"], isolatePath: true });
    try {
      const found = spawnSync("sh", ["-c", "command -v claude || echo none; command -v codex"], {
        env: isolated.env,
        encoding: "utf8",
      });
      expect(found.stdout).toBe(`none\n${isolated.codexPath}\n`);
    } finally {
      isolated.cleanup();
    }
  });

  it("cleanup kills hanging fakes a test left behind", async () => {
    const leaky = installFakeClis({ claudeMode: "hang" });
    const child = spawn("claude", ["-p", "x"], {
      env: leaky.env,
      stdio: ["pipe", "ignore", "ignore"],
      detached: true,
    });
    child.stdin.end();
    child.unref();
    while (!leaky.logOf("claude").some((call) => call.outcome === "hang"))
      await new Promise((resolve) => setTimeout(resolve, 20));
    const [call] = leaky.logOf("claude");
    leaky.cleanup();
    expect(await waitForProcessExit(call?.pid ?? 0)).toBe(true);
    expect(await waitForProcessExit(call?.childPid ?? 0)).toBe(true);
  });
});
