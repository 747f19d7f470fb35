import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, loadConfigOrThrow, resolveRole } from "../../src/config/load.js";
import { configJsonSchema, defaultConfig } from "../../src/config/schema.js";
import { setConfigValue } from "../../src/config/write.js";
import { ConfigError } from "../../src/errors.js";

function sandbox(): { home: string; repo: string; env: Record<string, string> } {
  const root = mkdtempSync(join(tmpdir(), "hc-config-"));
  const home = join(root, "home");
  const repo = join(root, "repo");
  mkdirSync(home, { recursive: true });
  mkdirSync(repo, { recursive: true });
  return { home, repo, env: { HOME: home } };
}

const userYaml = `
default_provider: local_ollama
providers:
  local_ollama:
    type: ollama
    base_url: http://localhost:11434
  claude_pro:
    type: claude_code_cli
routing:
  planner: { provider: claude_pro, model: sonnet }
  drafter: { provider: local_ollama, model: llama3.2:3b }
policy:
  max_revisions_per_unit: 2
`;

describe("config loading", () => {
  it("gives defaults when no file exists, and says nothing is routed", () => {
    const { env } = sandbox();
    const loaded = loadConfig({ env });
    expect(loaded.errors).toEqual([]);
    expect(loaded.userFileExists).toBe(false);
    expect(loaded.config.policy.max_revisions_per_unit).toBe(2);
    expect(loaded.config.policy.max_escalations_per_task).toBe(3);
    expect(loaded.config.policy.warn_before_escalation).toBe(true);
    expect(loaded.config.parallelization).toEqual({
      default_strategy: "balanced",
      max_local_workers: 4,
      max_remote_workers: 8,
    });
    expect(loaded.config.tui.interaction_mode).toBe("prompt");
    expect(resolveRole(loaded.config, "planner")).toBeUndefined();
  });

  it("layers defaults < user file < project file < env < flags", () => {
    const { home, repo, env } = sandbox();
    writeFileSync(join(home, ".hierocode.yaml"), userYaml);
    writeFileSync(
      join(repo, ".hierocode.yaml"),
      "routing:\n  drafter: { provider: local_ollama, model: qwen2.5-coder:7b }\nparallelization:\n  max_local_workers: 2\n",
    );
    const fromFiles = loadConfig({ env, repoRoot: repo });
    expect(fromFiles.errors).toEqual([]);
    expect(fromFiles.config.routing.drafter?.model).toBe("qwen2.5-coder:7b");
    expect(fromFiles.config.routing.planner?.model).toBe("sonnet");
    expect(fromFiles.config.parallelization.max_local_workers).toBe(2);
    expect(fromFiles.sources).toEqual([join(home, ".hierocode.yaml"), join(repo, ".hierocode.yaml")]);

    const withEnv = loadConfig({
      env: {
        ...env,
        HIEROCODE_DRAFTER_MODEL: "deepseek-coder:6.7b",
        HIEROCODE_POLICY__MAX_REVISIONS_PER_UNIT: "4",
      },
      repoRoot: repo,
    });
    expect(withEnv.config.routing.drafter?.model).toBe("deepseek-coder:6.7b");
    expect(withEnv.config.policy.max_revisions_per_unit).toBe(4);

    const withFlags = loadConfig({
      env: { ...env, HIEROCODE_DRAFTER_MODEL: "deepseek-coder:6.7b" },
      repoRoot: repo,
      overrides: { "routing.drafter.model": "flag-model" },
    });
    expect(withFlags.config.routing.drafter?.model).toBe("flag-model");
  });

  it("HIEROCODE_CONFIG names another file, and a missing one is an error", () => {
    const { home, env } = sandbox();
    const other = join(home, "other.yaml");
    writeFileSync(other, userYaml);
    expect(loadConfig({ env: { ...env, HIEROCODE_CONFIG: other } }).config.routing.planner?.provider).toBe(
      "claude_pro",
    );
    const missing = loadConfig({ env: { ...env, HIEROCODE_CONFIG: join(home, "nope.yaml") } });
    expect(missing.errors[0]).toMatch(
      /config file .*nope\.yaml does not exist \(named by --config or HIEROCODE_CONFIG\)/,
    );
  });

  it("ignores v0.1 legacy keys with a warning, and warns on unknown keys", () => {
    const { home, env } = sandbox();
    writeFileSync(
      join(home, ".hierocode.yaml"),
      `${userYaml}default_model: llama3\nsmall_model: tiny\nfavourite_colour: blue\n`.replace(
        "routing:\n",
        "routing:\n  draft_model: x\n  review_model: y\n",
      ),
    );
    const loaded = loadConfig({ env });
    expect(loaded.errors).toEqual([]);
    expect(loaded.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^default_model: v0\.1 key, ignored/),
        expect.stringMatching(/^small_model: v0\.1 key, ignored/),
        expect.stringMatching(/^routing\.draft_model: v0\.1 key, ignored/),
        expect.stringMatching(/^routing\.review_model: v0\.1 key, ignored/),
        "favourite_colour: unknown key, ignored",
      ]),
    );
    expect(loaded.config.routing.drafter?.model).toBe("llama3.2:3b");
  });

  it("reports bad YAML with file, line and column", () => {
    const { home, env } = sandbox();
    writeFileSync(join(home, ".hierocode.yaml"), "providers:\n  a: [unclosed\n");
    const loaded = loadConfig({ env });
    expect(loaded.errors[0]).toMatch(/\.hierocode\.yaml:\d+:\d+: invalid YAML/);
    expect(() => loadConfigOrThrow({ env })).toThrow(ConfigError);
  });

  it("reports schema problems as dot.path: message", () => {
    const { home, env } = sandbox();
    writeFileSync(
      join(home, ".hierocode.yaml"),
      [
        "providers:",
        "  p:",
        "    type: telepathy",
        "  q:",
        "    type: anthropic",
        "    auth: { type: bearer_env }",
        "policy:",
        "  max_revisions_per_unit: -1",
        "",
      ].join("\n"),
    );
    const loaded = loadConfig({ env });
    expect(loaded.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^providers\.p\.type: /),
        "providers.q.auth.env_var: required when auth.type is bearer_env",
        expect.stringMatching(/^policy\.max_revisions_per_unit: /),
      ]),
    );
  });

  it("checks that role bindings name defined providers", () => {
    const { home, env } = sandbox();
    writeFileSync(join(home, ".hierocode.yaml"), "routing:\n  planner: { provider: ghost, model: m }\n");
    expect(loadConfig({ env }).errors).toContain(
      "routing.planner.provider: 'ghost' is not defined under providers",
    );
  });

  it("reviewer falls back to the planner binding when unset", () => {
    const { home, env } = sandbox();
    writeFileSync(join(home, ".hierocode.yaml"), userYaml);
    const { config } = loadConfig({ env });
    expect(resolveRole(config, "reviewer")).toEqual({
      provider: "claude_pro",
      model: "sonnet",
      role: "reviewer",
      inherited: true,
    });
  });

  it("setConfigValue edits one key atomically and keeps comments", () => {
    const { home } = sandbox();
    const file = join(home, ".hierocode.yaml");
    writeFileSync(file, `# my notes\n${userYaml}`);
    setConfigValue(file, "routing.drafter.model", "qwen2.5-coder:14b");
    const text = readFileSync(file, "utf8");
    expect(text).toContain("# my notes");
    expect(text).toContain("qwen2.5-coder:14b");
    expect(loadConfig({ env: { HOME: home } }).config.routing.drafter?.model).toBe("qwen2.5-coder:14b");
  });

  it("generates a JSON Schema from the zod schema", () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        "default_provider",
        "providers",
        "routing",
        "policy",
        "parallelization",
        "tui",
        "tasks",
      ]),
    );
    expect(defaultConfig().providers).toEqual({});
  });
});
