/**
 * Contract tests against the REAL `claude` (@anthropic-ai/claude-code) and `codex` (@openai/codex)
 * binaries, installed from npm as devDependencies. No login, no network: every argument vector
 * hierocode builds (plan, review, split, escalation; structured output on/off; exploration
 * passive/active; system text as argument or file) must get past the CLI's argument parsing to
 * its login check. A rejected flag or schema fails here long before a user meets it (issue 9).
 *
 * "Past parsing" is observable without credentials:
 * - claude prints its JSON `result` line with "Not logged in" (is_error true, exit 1); a parse
 *   error is a plain `error: …`/`Error: …` line on stderr with no JSON.
 * - codex exec prints `{"type":"thread.started"}` once it has accepted argv and config, then
 *   tries to reach its service; we stop it there. A parse error is exit 2 with `error: …`.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planJsonSchema } from "../../src/pipeline/plan-schema.js";
import { verdictJsonSchema } from "../../src/pipeline/review-schema.js";
import { claudeArguments, claudeEnvironment } from "../../src/providers/claude-code-cli.js";
import { codexArguments } from "../../src/providers/codex-cli.js";
import type { GenerateRequest } from "../../src/providers/spec.js";
import { startFakeAnthropic } from "../kit/fake-anthropic.js";

const bin = resolve(import.meta.dirname, "../../node_modules/.bin");
const realClaude = join(bin, "claude");
const realCodex = join(bin, "codex");

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` with stdin `input`; resolves when it exits or when `stopWhen(stdout)` is true (then kills it). */
function runUntil(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; input: string; cwd: string; stopWhen?: (stdout: string) => boolean },
): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, detached: true });
    let stdout = "";
    let stderr = "";
    let settled = false;
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done({ code, stdout, stderr });
    };
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {}
      fail(
        new Error(`${command} ${args.join(" ")} did not reach its login check in 40 s\n${stdout}\n${stderr}`),
      );
    }, 40_000);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (options.stopWhen?.(stdout)) {
        try {
          if (child.pid) process.kill(-child.pid, "SIGKILL");
        } catch {}
        finish(null);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", fail);
    child.on("close", (code) => finish(code));
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input);
  });
}

let home: string;
let repo: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), "hierocode-real-cli-"));
  repo = join(home, "repo");
  mkdirSync(repo);
  writeFileSync(join(repo, "app.py"), "def f():\n    return 1\n");
  // A clean, logged-out environment: no keys, a fresh HOME (no stored credentials), codex's home
  // outside /tmp so it does not warn about helper binaries.
  env = {
    PATH: process.env.PATH,
    HOME: home,
    CODEX_HOME: join(home, ".codex"),
    NO_COLOR: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  };
  mkdirSync(join(home, ".codex"));
});

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

const longSystem = "You plan code changes.\n".repeat(6000); // > 96 KiB: goes through a file / the prompt

function requests(): Array<{ name: string; request: GenerateRequest }> {
  const base = { model: "sonnet", messages: [{ role: "user" as const, content: "Task: add a test" }] };
  return [
    {
      name: "plan, structured, passive",
      request: {
        ...base,
        system: "plan",
        cachedContext: "Repository map:\napp.py",
        maxOutputTokens: 4096,
        jsonSchema: planJsonSchema(),
        schemaName: "plan",
        temperature: 0,
      },
    },
    {
      name: "plan, structured, active exploration",
      request: {
        ...base,
        system: "plan",
        maxOutputTokens: 4096,
        jsonSchema: planJsonSchema(),
        exploration: "active",
      },
    },
    {
      name: "review, structured",
      request: { ...base, system: "review", maxOutputTokens: 1024, jsonSchema: verdictJsonSchema() },
    },
    {
      name: "review, compact checkpoint, 100-token cap",
      request: { ...base, system: "review", maxOutputTokens: 100, jsonSchema: verdictJsonSchema("compact") },
    },
    { name: "redirect, text, 50-token cap", request: { ...base, system: "redirect", maxOutputTokens: 50 } },
    { name: "escalation, text", request: { ...base, system: "escalate", maxOutputTokens: 8000 } },
    { name: "default model, no system", request: { ...base, model: "default", maxOutputTokens: 100 } },
    {
      name: "system text too long for argv",
      request: { ...base, system: longSystem, maxOutputTokens: 100, jsonSchema: verdictJsonSchema() },
    },
  ];
}

const haveClaude = existsSync(realClaude);
const haveCodex = existsSync(realCodex);

describe("the real claude CLI accepts every argument vector hierocode builds", () => {
  it("is installed from npm (devDependency @anthropic-ai/claude-code)", () => {
    expect(haveClaude).toBe(true);
  });

  for (const { name, request } of requests()) {
    for (const format of ["json", "stream-json"] as const) {
      it(`${name} (${format}) reaches the login check`, async () => {
        let systemFile: string | undefined;
        if (request.system && Buffer.byteLength(request.system) > 96 * 1024) {
          systemFile = join(home, "system-prompt.txt");
          writeFileSync(systemFile, request.system);
        }
        const args = claudeArguments(request, format, systemFile);
        const outcome = await runUntil(realClaude, args, {
          env: claudeEnvironment(request, env),
          input: "Task: add a test",
          cwd: repo,
        });
        const transcript = `argv: ${JSON.stringify(args).slice(0, 400)}\nstdout: ${outcome.stdout.slice(0, 600)}\nstderr: ${outcome.stderr.slice(0, 600)}`;
        expect(outcome.stderr, transcript).not.toMatch(
          /unknown option|not a valid JSON Schema|invalid|error:/i,
        );
        const result = outcome.stdout
          .split("\n")
          .filter((line) => line.startsWith("{"))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((event) => event.type === "result");
        expect(result, transcript).toBeDefined();
        expect(String(result?.result), transcript).toMatch(/not logged in/i);
      }, 45_000);
    }
  }

  it("sends the output cap as max_tokens, with thinking off under 1,025 tokens (real claude → fake API)", async () => {
    // A dummy key and ANTHROPIC_BASE_URL: the real binary talks to the fake Anthropic server,
    // whose recorded requests show what Claude Code sent for CLAUDE_CODE_MAX_OUTPUT_TOKENS.
    const api = await startFakeAnthropic(undefined, { apiKey: "sk-ant-contract-test" });
    try {
      api.script.setDefault({ text: "Keep add; write mul as a new export." });
      const request: GenerateRequest = {
        model: "claude-sonnet-4-6",
        system: "You direct a small drafter model (contract test).",
        messages: [{ role: "user", content: "Redirect the drafter." }],
        maxOutputTokens: 50,
      };
      const outcome = await runUntil(realClaude, claudeArguments(request, "json"), {
        env: claudeEnvironment(request, {
          ...env,
          ANTHROPIC_API_KEY: "sk-ant-contract-test",
          ANTHROPIC_BASE_URL: api.url,
        }),
        input: "Redirect the drafter.",
        cwd: repo,
      });
      const main = api
        .requestsTo("/v1/messages")
        .map(
          (recorded) =>
            recorded.body as { max_tokens?: number; thinking?: { type?: string }; system?: unknown },
        )
        .filter((body) => JSON.stringify(body.system ?? "").includes("contract test"));
      const transcript = `stdout: ${outcome.stdout.slice(0, 600)}\nstderr: ${outcome.stderr.slice(0, 600)}`;
      expect(main.length, transcript).toBeGreaterThan(0);
      for (const body of main) {
        expect(body.max_tokens, transcript).toBe(50);
        expect(body.thinking?.type ?? "disabled", transcript).not.toMatch(/enabled|adaptive/);
      }
      expect(outcome.stdout, transcript).toContain("Keep add; write mul");
    } finally {
      await api.close();
    }
  }, 45_000);

  it("rejects a schema that carries $schema (what the fake must model too)", async () => {
    const schema = { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" };
    const outcome = await runUntil(
      realClaude,
      ["-p", "--output-format", "json", "--json-schema", JSON.stringify(schema), "--tools", ""],
      { env, input: "x", cwd: repo },
    );
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain("--json-schema is not a valid JSON Schema");
  }, 45_000);

  it("rejects an unknown flag", async () => {
    const outcome = await runUntil(realClaude, ["-p", "--no-such-flag"], { env, input: "x", cwd: repo });
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toContain("unknown option '--no-such-flag'");
  }, 45_000);
});

describe("the real codex CLI accepts every argument vector hierocode builds", () => {
  it("is installed from npm (devDependency @openai/codex)", () => {
    expect(haveCodex).toBe(true);
  });

  for (const { name, request } of requests()) {
    it(`${name} reaches the point where it contacts its service`, async () => {
      let schemaFile: string | undefined;
      if (request.jsonSchema) {
        schemaFile = join(home, `schema-${Math.random().toString(36).slice(2)}.json`);
        writeFileSync(schemaFile, JSON.stringify(request.jsonSchema));
      }
      const { args } = codexArguments(
        { ...request, model: request.model === "sonnet" ? "gpt-5" : request.model },
        repo,
        schemaFile,
      );
      const outcome = await runUntil(realCodex, args, {
        env,
        input: "Task: add a test",
        cwd: repo,
        stopWhen: (stdout) => stdout.includes('"thread.started"'),
      });
      const transcript = `argv: ${JSON.stringify(args).slice(0, 400)}\nstdout: ${outcome.stdout.slice(0, 600)}\nstderr: ${outcome.stderr.slice(0, 600)}`;
      expect(outcome.stdout, transcript).toContain('"thread.started"');
      expect(outcome.stderr, transcript).not.toMatch(
        /unexpected argument|Error loading config|Failed to read output schema/,
      );
    }, 45_000);
  }

  for (const key of ["model_max_output_tokens", "max_output_tokens"]) {
    it(`has no output cap to send: -c ${key} is an unknown field under --strict-config`, async () => {
      // Why the codex provider sends no max tokens (README, "Output caps"): 0.171.0 knows no such
      // key. Should a release add one, this fails and the provider should start sending it.
      const outcome = await runUntil(
        realCodex,
        ["exec", "--json", "--skip-git-repo-check", "--strict-config", "-c", `${key}=100`, "-"],
        { env, input: "x", cwd: repo, stopWhen: (stdout) => stdout.includes('"thread.started"') },
      );
      expect(outcome.stdout).not.toContain('"thread.started"');
      expect(outcome.stderr).toContain(`unknown configuration field \`${key}\``);
    }, 45_000);
  }

  it("rejects an unknown flag", async () => {
    const outcome = await runUntil(realCodex, ["exec", "--json", "--no-such-flag", "-"], {
      env,
      input: "x",
      cwd: repo,
    });
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain("unexpected argument '--no-such-flag'");
  }, 45_000);
});
