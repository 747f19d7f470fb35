import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import type { FakeClis } from "../kit/fake-cli.js";
import { installFakeClis } from "../kit/fake-cli.js";
import { startFakeOllama } from "../kit/index.js";
import { cli, sandboxHome } from "./cli-harness.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function allOllamaConfig(url: string, drafter = "qwen2.5-coder:7b", planner = "qwen2.5-coder:7b"): string {
  return [
    "default_provider: local_ollama",
    "providers:",
    "  local_ollama:",
    "    type: ollama",
    `    base_url: ${url}`,
    "routing:",
    `  planner: { provider: local_ollama, model: "${planner}" }`,
    `  drafter: { provider: local_ollama, model: "${drafter}" }`,
    "",
  ].join("\n");
}

async function setup(config: (url: string) => string, fakes?: FakeClis) {
  const ollama = await startFakeOllama();
  cleanups.push(() => ollama.close());
  const { home, env } = sandboxHome();
  writeFileSync(join(home, ".hierocode.yaml"), config(ollama.url));
  const fullEnv = { ...(fakes?.env ?? process.env), ...env };
  return { ollama, env: fullEnv, home };
}

describe("hierocode doctor", () => {
  it("exits 0 when every role is on a reachable Ollama with its model pulled, and spends nothing", async () => {
    const { ollama, env } = await setup((url) => allOllamaConfig(url));
    const result = await cli(["doctor"], env);
    expect(result.stdout).toContain("all roles can work");
    expect(result.stdout).toMatch(/context window 32768 tokens/);
    expect(result.code).toBe(0);
    // Only free endpoints: no generation request reached the server.
    expect(ollama.requests.map((request) => request.path)).not.toContain("/api/chat");
    expect(ollama.requests.map((request) => request.path)).not.toContain("/api/generate");
  });

  it("fails and names `ollama pull <model>` when the drafter's model is not pulled", async () => {
    const { env } = await setup((url) => allOllamaConfig(url, "deepseek-coder-v2:16b"));
    const result = await cli(["doctor"], env);
    expect(result.code).toBe(ExitCode.checksFailed);
    expect(result.stdout).toMatch(/FAIL drafter .*model 'deepseek-coder-v2:16b' is not pulled/);
    expect(result.stdout).toContain("ollama pull deepseek-coder-v2:16b");
  });

  it("fails with a hint when Ollama is not reachable", async () => {
    const { home, env } = sandboxHome();
    writeFileSync(join(home, ".hierocode.yaml"), allOllamaConfig("http://127.0.0.1:9"));
    const result = await cli(["doctor", "--timeout", "3"], { ...process.env, ...env });
    expect(result.code).toBe(ExitCode.checksFailed);
    expect(result.stdout).toMatch(/FAIL planner/);
    expect(result.stdout).toMatch(/ollama serve|OLLAMA_HOST/);
  });

  it("says claude is installed but not logged in, and exits non-zero", async () => {
    const fakes = installFakeClis({ claudeMode: "not_logged_in" });
    cleanups.push(() => fakes.cleanup());
    const { env } = await setup(
      (url) =>
        `${allOllamaConfig(url)}\n`
          .replace("routing:\n", "  claude_pro:\n    type: claude_code_cli\nrouting:\n")
          .replace(/planner: .*\n/, 'planner: { provider: claude_pro, model: "sonnet" }\n'),
      fakes,
    );
    const result = await cli(["doctor", "--json"], env);
    expect(result.code).toBe(ExitCode.checksFailed);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      checks: Array<{ role?: string; status: string; message: string; hint?: string }>;
    };
    expect(report.ok).toBe(false);
    const planner = report.checks.find((check) => check.role === "planner" && check.status === "fail");
    expect(planner?.message).toMatch(/not logged in/i);
    expect(planner?.hint).toMatch(/claude \/login|claude auth login/);
    // The reviewer inherits the planner, so it fails too; the drafter still works.
    expect(report.checks.some((check) => check.role === "reviewer" && check.status === "fail")).toBe(true);
    expect(report.checks.some((check) => check.role === "drafter" && check.status === "fail")).toBe(false);
    // Never `claude -p` (it would spend a message); only --version and auth status.
    expect(fakes.logOf("claude").some((call) => call.argv.includes("-p"))).toBe(false);
  });

  it("passes with a logged-in claude planner and warns about nothing degraded", async () => {
    const fakes = installFakeClis({ claudeMode: "ok" });
    cleanups.push(() => fakes.cleanup());
    const { env } = await setup(
      (url) =>
        allOllamaConfig(url)
          .replace("routing:\n", "  claude_pro:\n    type: claude_code_cli\nrouting:\n")
          .replace(/planner: .*\n/, 'planner: { provider: claude_pro, model: "sonnet" }\n'),
      fakes,
    );
    const result = await cli(["doctor"], env);
    expect(result.stdout).not.toContain("degraded");
    expect(result.code).toBe(0);
  });

  it("reports a missing config file and every config error, one line each", async () => {
    const { home, env } = sandboxHome();
    const missing = await cli(["doctor"], { ...process.env, ...env });
    expect(missing.code).toBe(ExitCode.checksFailed);
    expect(missing.stdout).toContain("hierocode init --wizard");
    writeFileSync(
      join(home, ".hierocode.yaml"),
      "routing:\n  planner: { provider: ghost, model: x }\npolicy: { max_revisions_per_unit: -3 }\n",
    );
    const invalid = await cli(["doctor"], { ...process.env, ...env });
    expect(invalid.code).toBe(ExitCode.checksFailed);
    expect(invalid.stdout).toContain("routing.planner.provider: 'ghost' is not defined under providers");
    expect(invalid.stdout).toMatch(/policy\.max_revisions_per_unit:/);
  });

  it("warns when the planner runs on Ollama (degraded mode)", async () => {
    const { env } = await setup((url) => allOllamaConfig(url));
    const result = await cli(["doctor"], env);
    expect(result.stdout).toMatch(/warn planner .*degraded mode/);
  });
});
