/**
 * `hierocode mcp install --claude | --codex | --opencode`: the registration each client expects
 * (protocols.md §7 "MCP"), written idempotently and without touching other entries, or printed.
 *   Claude Code: `claude mcp add --scope S hierocode -- CMD…` (project scope: `.mcp.json`).
 *   Codex: `[mcp_servers.hierocode]` in ~/.codex/config.toml (CODEX_HOME) with startup and tool
 *   timeouts raised (defaults 10 s / 60 s are too short for drafting).
 *   opencode: `"mcp": {"hierocode": {"type": "local", "command": [...]}}` in opencode.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { ConfigError, UsageError } from "../errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";

type Env = Record<string, string | undefined>;

export type McpClient = "claude" | "codex" | "opencode";
export type InstallScope = "user" | "project";

export interface InstallPlan {
  client: McpClient;
  scope: InstallScope;
  /** The command line that starts the server. */
  command: string[];
  /** A file we write (absent when a client CLI does it). */
  file?: string;
  /** The file's content after the change. */
  content?: string;
  /** A command to run instead of writing a file (Claude Code user scope). */
  run?: string[];
  /** What to show with --print. */
  printable: string;
  /** Already registered exactly like this: nothing to do. */
  unchanged: boolean;
}

/** `hierocode mcp` as clients should start it: the `hierocode` on PATH, else node + this script. */
export function serverCommand(env: Env, mainScript: string): string[] {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "hierocode");
    try {
      if (existsSync(candidate) && realpathSync(candidate) === realpathSync(mainScript))
        return ["hierocode", "mcp"];
    } catch {
      // unreadable PATH entry
    }
  }
  return [process.execPath, mainScript, "mcp"];
}

function readJsonObject(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  const text = readFileSync(file, "utf8");
  if (!text.trim()) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ConfigError(`${file} is not a plain JSON object; refusing to rewrite it`, [], {
    hint: "add the entry by hand (see `hierocode mcp install … --print`)",
  });
}

function mergeJsonEntry(file: string, section: string, name: string, entry: Record<string, unknown>) {
  const document = readJsonObject(file);
  const current = document[section];
  if (current !== undefined && (typeof current !== "object" || current === null || Array.isArray(current)))
    throw new ConfigError(`${file}: "${section}" is not an object; refusing to rewrite it`);
  const servers = { ...((current as Record<string, unknown> | undefined) ?? {}) };
  const unchanged = JSON.stringify(servers[name]) === JSON.stringify(entry);
  servers[name] = entry;
  return { content: `${JSON.stringify({ ...document, [section]: servers }, null, 2)}\n`, unchanged };
}

const tomlString = (value: string) => JSON.stringify(value);

/** Replaces (or appends) the `[mcp_servers.hierocode]` table, leaving every other line as it was. */
export function upsertCodexTable(text: string, command: string[]): { content: string; unchanged: boolean } {
  const [program, ...args] = command;
  const table = [
    "[mcp_servers.hierocode]",
    `command = ${tomlString(program ?? "hierocode")}`,
    `args = [${args.map(tomlString).join(", ")}]`,
    "startup_timeout_sec = 30",
    "tool_timeout_sec = 900",
  ];
  const lines = text.length > 0 ? text.replace(/\n$/, "").split("\n") : [];
  const isHeader = (line: string) => /^\s*\[/.test(line);
  const own = (line: string) => /^\s*\[\s*mcp_servers\s*\.\s*"?hierocode"?\s*(\]|\.)/.test(line);
  const start = lines.findIndex(own);
  if (start === -1) {
    const content = `${[...lines, ...(lines.length > 0 && lines.at(-1)?.trim() !== "" ? [""] : []), ...table].join("\n")}\n`;
    return { content, unchanged: false };
  }
  let end = start + 1;
  while (end < lines.length && !(isHeader(lines[end] ?? "") && !own(lines[end] ?? ""))) end += 1;
  // keep blank lines that separated our table from the next one
  let tail = end;
  while (tail > start + 1 && (lines[tail - 1] ?? "").trim() === "") tail -= 1;
  const existing = lines.slice(start, tail).join("\n");
  const unchanged = existing.trim() === table.join("\n");
  const content = `${[...lines.slice(0, start), ...table, ...lines.slice(tail)].join("\n")}\n`;
  return { content, unchanged };
}

function codexConfigFile(scope: InstallScope, env: Env, cwd: string): string {
  if (scope === "project") return join(cwd, ".codex", "config.toml");
  return join(env.CODEX_HOME ?? join(env.HOME ?? homedir(), ".codex"), "config.toml");
}

function opencodeConfigFile(scope: InstallScope, env: Env, cwd: string): string {
  if (scope === "project") return join(cwd, "opencode.json");
  const base = env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), ".config");
  return join(base, "opencode", "opencode.json");
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Works out what `mcp install` would do; touches nothing. */
export function planInstall(options: {
  client: McpClient;
  scope: InstallScope;
  env: Env;
  cwd: string;
  command: string[];
}): InstallPlan {
  const { client, scope, env, cwd, command } = options;
  if (client === "claude") {
    const add = ["claude", "mcp", "add", "--scope", scope, "hierocode", "--", ...command];
    if (scope === "project") {
      const file = join(cwd, ".mcp.json");
      const [program, ...args] = command;
      const merged = mergeJsonEntry(file, "mcpServers", "hierocode", {
        type: "stdio",
        command: program,
        args,
        env: {},
      });
      return { client, scope, command, file, ...merged, printable: add.map(shellQuote).join(" ") };
    }
    return { client, scope, command, run: add, printable: add.map(shellQuote).join(" "), unchanged: false };
  }
  if (client === "codex") {
    const file = codexConfigFile(scope, env, cwd);
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    const { content, unchanged } = upsertCodexTable(text, command);
    return {
      client,
      scope,
      command,
      file,
      content,
      unchanged,
      printable: upsertCodexTable("", command).content,
    };
  }
  const file = opencodeConfigFile(scope, env, cwd);
  const entry = { type: "local", command, enabled: true };
  const merged = mergeJsonEntry(file, "mcp", "hierocode", entry);
  if (!existsSync(file)) {
    merged.content = `${JSON.stringify({ $schema: "https://opencode.ai/config.json", mcp: { hierocode: entry } }, null, 2)}\n`;
  }
  return {
    client,
    scope,
    command,
    file,
    ...merged,
    printable: JSON.stringify({ mcp: { hierocode: entry } }, null, 2),
  };
}

/** Carries out a plan: writes its file atomically, or runs `claude mcp add` (checking first). */
export function applyInstall(plan: InstallPlan, env: Env, cwd: string): "written" | "unchanged" | "ran" {
  if (plan.unchanged) return "unchanged";
  if (plan.file && plan.content !== undefined) {
    writeFileAtomic(plan.file, plan.content);
    return "written";
  }
  const run = plan.run ?? [];
  const [program, ...args] = run;
  if (!program) throw new UsageError("nothing to do");
  const get = spawnSync(program, ["mcp", "get", "hierocode"], {
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  if (get.error) {
    throw new UsageError("the `claude` CLI was not found on PATH", {
      hint: `install Claude Code, or run the command yourself: ${plan.printable}`,
    });
  }
  if (get.status === 0) {
    const wanted = plan.command.join(" ");
    if (get.stdout.includes(wanted)) return "unchanged";
    // registered differently (e.g. an older path): replace our own entry only
    spawnSync(program, ["mcp", "remove", "--scope", plan.scope, "hierocode"], {
      cwd,
      env: { ...process.env, ...env },
    });
  }
  const add = spawnSync(program, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
  if (add.status !== 0) {
    throw new UsageError(
      `\`${plan.printable}\` failed: ${(add.stderr || add.stdout).trim().split("\n")[0] ?? ""}`,
    );
  }
  return "ran";
}
