/**
 * Written configs never use YAML anchors or aliases, and `models set` changes exactly the named
 * role — on configs written by `init`, by the wizard (test/app/init.test.ts) and by hand.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAlias, parse, parseDocument, visit } from "yaml";
import { renderConfigYaml, schemaFile } from "../../src/config/write.js";
import { cli, sandboxHome } from "../app/cli-harness.js";

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(dirname(home), { recursive: true, force: true });
});

function sandbox() {
  const box = sandboxHome();
  homes.push(box.home);
  return { ...box, file: join(box.home, ".hierocode.yaml") };
}

/** Anchors and aliases in a YAML text (none is the goal). */
function anchorsAndAliases(text: string): string[] {
  const found: string[] = [];
  visit(parseDocument(text), {
    Alias(_key, node) {
      found.push(`*${node.source}`);
    },
    Node(_key, node) {
      if (!isAlias(node) && node.anchor) found.push(`&${node.anchor}`);
    },
  });
  return found;
}

type Routing = Record<string, { provider: string; model: string; exploration?: string }>;
const routing = (file: string) => (parse(readFileSync(file, "utf8")) as { routing: Routing }).routing;

describe("config writing", () => {
  it("renders a shared object twice in full, with the installed schema as $schema", () => {
    const binding = { provider: "local", model: "llama3.2:3b" };
    const text = renderConfigYaml({ routing: { planner: binding, drafter: binding, reviewer: binding } });
    expect(anchorsAndAliases(text)).toEqual([]);
    expect(text).not.toMatch(/[&*]a\d/);
    expect(parse(text)).toEqual({ routing: { planner: binding, drafter: binding, reviewer: binding } });
    expect(text).toContain(`$schema=file://${schemaFile()}`);
    expect(text).not.toMatch(/unpkg|jsdelivr/);
  });

  it("init writes no aliases, and models set changes exactly the named role", async () => {
    const { env, file } = sandbox();
    expect((await cli(["init"], env)).code).toBe(0);
    expect(anchorsAndAliases(readFileSync(file, "utf8"))).toEqual([]);
    const set = await cli(["models", "set", "drafter", "qwen2.5-coder:7b"], env);
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(routing(file)).toEqual({
      planner: { provider: "local_ollama", model: "llama3.2:3b" },
      drafter: { provider: "local_ollama", model: "qwen2.5-coder:7b" },
      reviewer: { provider: "local_ollama", model: "llama3.2:3b" },
    });
    expect((await cli(["models", "set", "planner", "llama3.1:8b"], env)).code).toBe(0);
    expect(routing(file)).toEqual({
      planner: { provider: "local_ollama", model: "llama3.1:8b" },
      drafter: { provider: "local_ollama", model: "qwen2.5-coder:7b" },
      reviewer: { provider: "local_ollama", model: "llama3.2:3b" },
    });
  });

  it("a hand-written config with anchors and aliases: one role changes, comments and the rest stay", async () => {
    const { env, file } = sandbox();
    writeFileSync(
      file,
      [
        "# my config",
        "providers:",
        "  local:",
        "    type: ollama  # the laptop",
        "routing:",
        "  planner: &shared",
        "    provider: local",
        "    model: llama3.2:3b",
        "    exploration: passive",
        "  drafter: *shared",
        "  reviewer: *shared",
        "",
      ].join("\n"),
    );
    const set = await cli(["models", "set", "drafter", "qwen2.5-coder:7b"], env);
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(anchorsAndAliases(text)).toEqual([]);
    expect(text).toContain("# my config");
    expect(text).toContain("# the laptop");
    expect(routing(file)).toEqual({
      planner: { provider: "local", model: "llama3.2:3b", exploration: "passive" },
      drafter: { provider: "local", model: "qwen2.5-coder:7b", exploration: "passive" },
      reviewer: { provider: "local", model: "llama3.2:3b", exploration: "passive" },
    });
    expect((await cli(["models", "set", "planner", "llama3.1:8b"], env)).code).toBe(0);
    expect(routing(file).planner?.model).toBe("llama3.1:8b");
    expect(routing(file).reviewer?.model).toBe("llama3.2:3b");
    expect(routing(file).drafter?.model).toBe("qwen2.5-coder:7b");
  });

  it("refuses a file that is not valid YAML, with a hint, and leaves it as it was", async () => {
    const { env, file } = sandbox();
    writeFileSync(file, "providers: [unclosed\n");
    const set = await cli(["models", "set", "drafter", "x"], env);
    expect(set.code).not.toBe(0);
    expect(set.stderr).toMatch(/^error: .+\nhint: .+\n$/);
    expect(readFileSync(file, "utf8")).toBe("providers: [unclosed\n");
  });
});
