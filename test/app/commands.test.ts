import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { startFakeOllama } from "../kit/index.js";
import { cli, sandboxHome } from "./cli-harness.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function configured() {
  const ollama = await startFakeOllama();
  cleanups.push(() => ollama.close());
  const { home, env } = sandboxHome();
  const file = join(home, ".hierocode.yaml");
  writeFileSync(
    file,
    [
      "# keep this comment",
      "default_provider: local_ollama",
      "providers:",
      "  local_ollama:",
      "    type: ollama",
      `    base_url: ${ollama.url}`,
      "  anthropic_api:",
      "    type: anthropic",
      "    auth: { type: bearer_env, env_var: ANTHROPIC_API_KEY }",
      "routing:",
      "  planner: { provider: anthropic_api, model: claude-haiku-4-5 }",
      "  drafter: { provider: local_ollama, model: qwen2.5-coder:7b }",
      "",
    ].join("\n"),
  );
  return { ollama, file, env: { ...process.env, ...env } };
}

describe("models, providers, resources, workers, config", () => {
  it("models show prints the bindings and marks the inherited reviewer", async () => {
    const { env } = await configured();
    const text = await cli(["models", "show"], env);
    expect(text.stdout).toMatch(/planner\s+anthropic_api \(anthropic\)\s+claude-haiku-4-5/);
    expect(text.stdout).toMatch(/reviewer\s+anthropic_api .*inherited from planner/);
    const json = (
      JSON.parse((await cli(["models", "show", "--json"], env)).stdout) as {
        roles: Array<{ role: string; inherited: boolean }>;
      }
    ).roles;
    expect(json.find((view) => view.role === "reviewer")?.inherited).toBe(true);
  });

  it("models set writes the role binding, keeps comments, and refuses unknown providers and roles", async () => {
    const { env, file } = await configured();
    const set = await cli(["models", "set", "drafter", "llama3.2:latest"], env);
    expect(set.code).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("# keep this comment");
    expect(readFileSync(file, "utf8")).toMatch(/drafter:[\s\S]*model: llama3\.2:latest/);
    const reviewer = await cli(["models", "set", "reviewer", "qwen2.5-coder:7b", "-p", "local_ollama"], env);
    expect(reviewer.code).toBe(0);
    expect(JSON.parse((await cli(["models", "show", "--json"], env)).stdout).roles[2]).toMatchObject({
      role: "reviewer",
      provider: "local_ollama",
      inherited: false,
    });
    const before = readFileSync(file, "utf8");
    const badProvider = await cli(["models", "set", "planner", "x", "-p", "nope"], env);
    expect(badProvider.code).toBe(ExitCode.usage);
    expect(badProvider.stderr).toContain("no provider named 'nope'");
    const badRole = await cli(["models", "set", "architect", "x"], env);
    expect(badRole.code).toBe(ExitCode.usage);
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("models list asks each provider and reports the unreachable ones without failing", async () => {
    const { env } = await configured();
    const result = await cli(["models", "list", "--json"], { ...env, ANTHROPIC_API_KEY: "" });
    const { providers: entries } = JSON.parse(result.stdout) as {
      providers: Array<{
        provider: string;
        models: Array<{ id: string }>;
        error?: string;
      }>;
    };
    const ollama = entries.find((entry) => entry.provider === "local_ollama");
    expect(ollama?.models.map((model) => model.id)).toContain("qwen2.5-coder:7b");
    expect(entries.find((entry) => entry.provider === "anthropic_api")?.error).toBeTruthy();
  });

  it("providers list shows names, types and auth without secrets", async () => {
    const { env } = await configured();
    const result = await cli(["providers", "list"], { ...env, ANTHROPIC_API_KEY: "sk-secret" });
    expect(result.stdout).toMatch(/local_ollama \(default\)\s+ollama/);
    expect(result.stdout).toContain("bearer from $ANTHROPIC_API_KEY");
    expect(result.stdout).not.toContain("sk-secret");
  });

  it("resources and workers suggest report the host and three strategies", async () => {
    const { env } = await configured();
    const resources = JSON.parse(
      (await cli(["resources", "--json"], { ...env, HIEROCODE_FAKE_RAM_GIB: "16" })).stdout,
    ) as {
      cpuCount: number;
      totalRamBytes: number;
    };
    expect(resources.cpuCount).toBeGreaterThan(0);
    expect(resources.totalRamBytes).toBe(16 * 1024 ** 3);
    const workers = JSON.parse(
      (
        await cli(["workers", "suggest", "--json"], {
          ...env,
          HIEROCODE_FAKE_RAM_GIB: "16",
          HIEROCODE_FAKE_GPU: "RTX:24",
        })
      ).stdout,
    ) as {
      suggestions: Array<{ strategy: string; localWorkers: number }>;
      drafter: { parameterCount: number };
    };
    expect(workers.suggestions.map((entry) => entry.strategy)).toEqual(["safe", "balanced", "aggressive"]);
    expect(workers.drafter.parameterCount).toBeGreaterThan(7e9);
    const [safe, balanced, aggressive] = workers.suggestions.map((entry) => entry.localWorkers);
    expect(safe).toBe(1);
    expect(balanced!).toBeGreaterThanOrEqual(safe!);
    expect(aggressive!).toBeGreaterThanOrEqual(balanced!);
  });

  it("config validate and show report problems with exit code 3", async () => {
    const { home, env } = sandboxHome();
    writeFileSync(join(home, ".hierocode.yaml"), "policy:\n  warn_before_escalation: sometimes\n");
    const result = await cli(["config", "validate"], { ...process.env, ...env });
    expect(result.code).toBe(ExitCode.config);
    expect(result.stdout).toMatch(/policy\.warn_before_escalation: /);
    const schema = JSON.parse((await cli(["config", "schema"], { ...process.env, ...env })).stdout) as {
      properties: object;
    };
    expect(Object.keys(schema.properties)).toContain("routing");
  });

  it("commands that need a valid config fail with one line, a hint and exit 3; --json errors are JSON", async () => {
    const { home, env } = sandboxHome();
    writeFileSync(join(home, ".hierocode.yaml"), "providers: [1, 2\n");
    const text = await cli(["models", "show"], { ...process.env, ...env });
    expect(text.code).toBe(ExitCode.config);
    expect(text.stderr).toMatch(/^error: invalid configuration: .*invalid YAML/m);
    expect(text.stderr).toMatch(/^hint: /m);
    const json = await cli(["models", "show", "--json"], { ...process.env, ...env });
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: "config" } });
  });

  it("--help works everywhere and unknown commands or flags exit 2", async () => {
    const { env } = sandboxHome();
    const help = await cli(["--help"], { ...process.env, ...env });
    expect(help.code).toBe(0);
    for (const command of ["init", "doctor", "models", "providers", "resources", "workers", "version"]) {
      expect(help.stdout).toContain(command);
    }
    expect((await cli(["models", "set", "--help"], { ...process.env, ...env })).code).toBe(0);
    expect((await cli(["frobnicate"], { ...process.env, ...env })).code).toBe(ExitCode.usage);
    expect((await cli(["doctor", "--bogus"], { ...process.env, ...env })).code).toBe(ExitCode.usage);
    expect((await cli(["--version"], { ...process.env, ...env })).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
