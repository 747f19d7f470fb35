/** `hierocode mcp install` through the built CLI: each client's format, idempotent, other entries kept. */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { upsertCodexTable } from "../../src/mcp/install.js";
import { makeSandbox, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";

let sandbox: Sandbox;

beforeEach(() => {
  sandbox = makeSandbox({});
});

afterEach(() => {
  rmSync(join(sandbox.repo, ".."), { recursive: true, force: true });
});

describe("hierocode mcp install", { timeout: 60_000 }, () => {
  it("adds [mcp_servers.hierocode] to Codex's config once, keeping every other line", async () => {
    const file = join(sandbox.home, ".codex", "config.toml");
    mkdirSync(join(sandbox.home, ".codex"), { recursive: true });
    const before = 'model = "gpt-5.4"\n\n[mcp_servers.other]\ncommand = "other"\nargs = ["--x"]\n';
    writeFileSync(file, before);
    const first = await runCliProcess(sandbox, ["mcp", "install", "--codex"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/codex: registered in/);
    const written = readFileSync(file, "utf8");
    expect(written.startsWith(before)).toBe(true);
    expect(written).toMatch(
      /\[mcp_servers\.hierocode\]\ncommand = ".+"\nargs = \[.*"mcp"\]\nstartup_timeout_sec = 30\ntool_timeout_sec = 900\n$/,
    );
    const second = await runCliProcess(sandbox, ["mcp", "install", "--codex"]);
    expect(second.stderr).toMatch(/already registered/);
    expect(readFileSync(file, "utf8")).toBe(written);
  });

  it("replaces only its own Codex table", () => {
    const text =
      '[mcp_servers.hierocode]\ncommand = "old"\nargs = []\n\n[mcp_servers.hierocode.env]\nA = "1"\n\n[profiles.x]\nmodel = "m"\n';
    const { content, unchanged } = upsertCodexTable(text, ["hierocode", "mcp"]);
    expect(unchanged).toBe(false);
    expect(content).toBe(
      '[mcp_servers.hierocode]\ncommand = "hierocode"\nargs = ["mcp"]\nstartup_timeout_sec = 30\ntool_timeout_sec = 900\n\n[profiles.x]\nmodel = "m"\n',
    );
    expect(upsertCodexTable(content, ["hierocode", "mcp"]).unchanged).toBe(true);
  });

  it("merges into opencode.json and refuses a file it cannot parse", async () => {
    const file = join(sandbox.home, ".config", "opencode", "opencode.json");
    mkdirSync(join(sandbox.home, ".config", "opencode"), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify({ theme: "dark", mcp: { other: { type: "remote", url: "http://x" } } }),
    );
    const run = await runCliProcess(sandbox, ["mcp", "install", "--opencode"]);
    expect(run.code, run.stderr).toBe(0);
    const parsed = JSON.parse(readFileSync(file, "utf8")) as {
      theme: string;
      mcp: Record<string, { type: string; command?: string[] }>;
    };
    expect(parsed.theme).toBe("dark");
    expect(parsed.mcp.other).toEqual({ type: "remote", url: "http://x" });
    expect(parsed.mcp.hierocode?.type).toBe("local");
    expect(parsed.mcp.hierocode?.command?.at(-1)).toBe("mcp");
    const again = await runCliProcess(sandbox, ["mcp", "install", "--opencode"]);
    expect(again.stderr).toMatch(/already registered/);

    const commented = '{\n  // my settings\n  "theme": "light"\n}\n';
    writeFileSync(file, commented);
    const refused = await runCliProcess(sandbox, ["mcp", "install", "--opencode"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/error: .*refusing to rewrite it[\s\S]*hint: /);
    expect(readFileSync(file, "utf8")).toBe(commented);
  });

  it("Claude Code: prints the command, writes .mcp.json for project scope, runs `claude mcp add` for user scope", async () => {
    const printed = await runCliProcess(sandbox, ["mcp", "install", "--claude", "--print"]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/^claude mcp add --scope user hierocode -- .+ mcp\n$/);

    writeFileSync(
      join(sandbox.repo, ".mcp.json"),
      JSON.stringify({ mcpServers: { other: { command: "o" } } }),
    );
    const project = await runCliProcess(sandbox, ["mcp", "install", "--claude", "--scope", "project"]);
    expect(project.code, project.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(sandbox.repo, ".mcp.json"), "utf8")) as {
      mcpServers: Record<string, { command: string; args?: string[] }>;
    };
    expect(config.mcpServers.other).toEqual({ command: "o" });
    expect(config.mcpServers.hierocode?.args?.at(-1)).toBe("mcp");

    // a stand-in `claude` that records its arguments and knows no server yet
    const bin = join(sandbox.home, "bin");
    mkdirSync(bin, { recursive: true });
    const log = join(sandbox.home, "claude-args.log");
    writeFileSync(
      join(bin, "claude"),
      `#!/bin/sh\necho "$@" >> '${log}'\nif [ "$2" = "get" ]; then echo "No MCP server found" >&2; exit 1; fi\nexit 0\n`,
    );
    chmodSync(join(bin, "claude"), 0o755);
    const user = await runCliProcess(
      { ...sandbox, env: { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}` } },
      ["mcp", "install", "--claude"],
    );
    expect(user.code, user.stderr).toBe(0);
    const calls = readFileSync(log, "utf8").trim().split("\n");
    expect(calls[0]).toBe("mcp get hierocode");
    expect(calls[1]).toMatch(/^mcp add --scope user hierocode -- .+ mcp$/);
  });

  it("needs a client", async () => {
    const run = await runCliProcess(sandbox, ["mcp", "install"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/name a client/);
  });
});
