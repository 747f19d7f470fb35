/** Issue 11, item 10: hostile config files are config errors (exit 3), never internal errors or hangs. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig, loadConfigOrThrow } from "../../src/config/load.js";
import { ConfigError, ExitCode } from "../../src/errors.js";
import { cli, sandboxHome } from "../app/cli-harness.js";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function sandbox(): { home: string; repo: string; env: Record<string, string> } {
  const root = mkdtempSync(join(tmpdir(), "hc-harden-"));
  roots.push(root);
  const home = join(root, "home");
  const repo = join(root, "repo");
  mkdirSync(home, { recursive: true });
  mkdirSync(join(repo, ".git"), { recursive: true });
  return { home, repo, env: { HOME: home, HIEROCODE_STATE_DIR: join(root, "state") } };
}

/** Nine levels of nine aliases each: 9^10 strings once expanded ("billion laughs"). */
function aliasBomb(): string {
  const names = "abcdefghij";
  let text = `${names[0]}: &${names[0]} ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n`;
  for (let level = 1; level < names.length; level += 1) {
    const previous = `*${names[level - 1]}`;
    text += `${names[level]}: &${names[level]} [${Array(9).fill(previous).join(",")}]\n`;
  }
  return text;
}

describe("config hardening", () => {
  it("a YAML alias bomb is a config error, not an internal error", () => {
    const { home, env } = sandbox();
    writeFileSync(join(home, ".hierocode.yaml"), aliasBomb());
    const loaded = loadConfig({ env });
    expect(loaded.errors.length).toBe(1);
    expect(loaded.errors[0]).toMatch(/\.hierocode\.yaml: invalid YAML \(.*aliases/);
    expect(() => loadConfigOrThrow({ env })).toThrow(ConfigError);
  });

  it("`config validate` on an alias bomb exits 3 with the file named", async () => {
    const { home, env } = sandboxHome();
    writeFileSync(join(home, ".hierocode.yaml"), aliasBomb());
    const result = await cli(["config", "validate"], env);
    expect(result.code).toBe(ExitCode.config);
    expect(result.stdout).toContain("invalid YAML");
    expect(`${result.stdout}${result.stderr}`).not.toContain("internal error");
  });

  it("a run with an alias-bomb project config stops with exit 3", async () => {
    const { env } = sandboxHome();
    const { repo } = sandbox();
    writeFileSync(join(repo, ".hierocode.yaml"), aliasBomb());
    const result = await cli(["providers", "list"], env, repo);
    expect(result.code).toBe(ExitCode.config);
    expect(result.stderr).toMatch(/^error: invalid configuration: .*aliases/m);
  });

  it("refuses a config file over 1 MB without parsing it (a 2.5 MB file)", () => {
    const { home, env } = sandbox();
    let text = "tasks:\n";
    for (let index = 0; text.length < 2_500_000; index += 1)
      text += `  t${index}: "do the thing number ${index}"\n`;
    writeFileSync(join(home, ".hierocode.yaml"), text);
    const loaded = loadConfig({ env });
    expect(loaded.errors).toEqual([expect.stringMatching(/larger than the 1 MB a config file may have/)]);
  });

  it("still reports duplicate keys (checked in one pass) with line and column", () => {
    const { home, env } = sandbox();
    writeFileSync(
      join(home, ".hierocode.yaml"),
      "policy:\n  max_revisions_per_unit: 1\n  max_revisions_per_unit: 2\n",
    );
    const loaded = loadConfig({ env });
    expect(loaded.errors).toEqual([
      expect.stringMatching(/\.hierocode\.yaml:3:3: invalid YAML \(.*max_revisions_per_unit/),
    ]);
  });

  it("a config just under 1 MB with 20,000 keys loads", () => {
    const { home, env } = sandbox();
    let text = "tasks:\n";
    for (let index = 0; index < 20_000; index += 1) text += `  t${index}: "do the thing number ${index}"\n`;
    writeFileSync(join(home, ".hierocode.yaml"), text);
    const loaded = loadConfig({ env });
    expect(loaded.errors).toEqual([]);
    expect(Object.keys(loaded.config.tasks)).toHaveLength(20_000);
  });

  it.each(["file:///etc/passwd", "ftp://example.com/", "javascript:alert(1)", "unix:///var/run/ollama.sock"])(
    "base_url %s is refused: it must be http(s)",
    async (url) => {
      const { home, env } = sandboxHome();
      writeFileSync(
        join(home, ".hierocode.yaml"),
        `providers:\n  local:\n    type: ollama\n    base_url: "${url}"\n  pool:\n    type: ollama\n    base_url: ["http://a:1", "${url}"]\n`,
      );
      const result = await cli(["config", "validate"], env);
      expect(result.code).toBe(ExitCode.config);
      expect(result.stdout).toContain("providers.local.base_url: must be an http:// or https:// URL");
      expect(result.stdout).toContain("providers.pool.base_url.1: must be an http:// or https:// URL");
    },
  );

  it("http and https base_urls pass", () => {
    const { home, env } = sandbox();
    writeFileSync(
      join(home, ".hierocode.yaml"),
      "providers:\n  a: { type: ollama, base_url: http://localhost:11434 }\n  b: { type: openai_compatible, base_url: https://api.example.com/v1 }\n",
    );
    expect(loadConfig({ env }).errors).toEqual([]);
  });
});
