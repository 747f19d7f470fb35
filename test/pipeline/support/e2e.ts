/**
 * End-to-end helpers: a temporary git repository with nested folders, a private HOME/state/cache,
 * a config pointing the three roles at the fake servers, and the BUILT CLI spawned asynchronously
 * (the fakes live in the test process, so a blocking spawn would deadlock).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { stringify } from "yaml";
import { files } from "./harness.js";

export const cliPath = resolve(import.meta.dirname, "../../../dist/cli/main.js");

export interface Sandbox {
  repo: string;
  home: string;
  env: Record<string, string>;
}

const gitIdentity = {
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
};

export function makeSandbox(
  config: Record<string, unknown>,
  extraFiles: Record<string, string> = {},
): Sandbox {
  const base = mkdtempSync(join(tmpdir(), "haco-e2e-"));
  const repo = join(base, "repo");
  const home = join(base, "home");
  mkdirSync(home, { recursive: true });
  for (const [path, content] of Object.entries({ ...files, ...extraFiles })) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  writeFileSync(join(repo, ".gitignore"), "build/\n");
  mkdirSync(join(repo, "build"), { recursive: true });
  writeFileSync(join(repo, "build", "ignored.js"), "// generated\n");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    HIEROCODE_STATE_DIR: join(base, "state"),
    HIEROCODE_CACHE_DIR: join(base, "cache"),
    ANTHROPIC_API_KEY: "sk-ant-test-e2e-0123456789abcdef",
    OPENAI_API_KEY: "sk-test-openai-0123456789abcdef",
    NO_COLOR: "1",
    CI: "1",
    ...gitIdentity,
  };
  const git = (...args: string[]) => spawnSync("git", args, { cwd: repo, env: { ...env }, encoding: "utf8" });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "initial");
  writeFileSync(join(home, ".hierocode.yaml"), stringify(config));
  return { repo, home, env };
}

export function roleConfig(
  urls: { anthropic: string; ollama: string; openai: string },
  policy: Record<string, unknown> = {},
) {
  return {
    providers: {
      api: {
        type: "anthropic",
        base_url: urls.anthropic,
        auth: { type: "bearer_env", env_var: "ANTHROPIC_API_KEY" },
        max_retries: 0,
      },
      local: { type: "ollama", base_url: urls.ollama, max_retries: 0 },
      oai: {
        type: "openai_compatible",
        base_url: urls.openai,
        auth: { type: "bearer_env", env_var: "OPENAI_API_KEY" },
        max_retries: 0,
      },
    },
    routing: {
      planner: { provider: "api", model: "claude-sonnet-4-6" },
      drafter: { provider: "local", model: "qwen2.5-coder:7b" },
      reviewer: { provider: "oai", model: "gpt-5.4-mini" },
    },
    policy: { warn_before_escalation: true, ...policy },
  };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(sandbox: Sandbox, args: string[]): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: sandbox.repo,
    env: sandbox.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<CliRun>((resolvePromise) => {
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runCliProcess(sandbox: Sandbox, args: string[]): Promise<CliRun> {
  return startCli(sandbox, args).done;
}

export function gitIn(sandbox: Sandbox, args: string[], input?: string) {
  return spawnSync("git", args, {
    cwd: sandbox.repo,
    env: sandbox.env,
    encoding: "utf8",
    ...(input !== undefined ? { input } : {}),
  });
}

export function logRecords(sandbox: Sandbox): Array<Record<string, unknown>> {
  const dir = join(sandbox.repo, ".haco", "logs");
  const out: Array<Record<string, unknown>> = [];
  for (const name of readdirSync(dir).sort()) {
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (line.trim()) out.push(JSON.parse(line) as Record<string, unknown>);
    }
  }
  return out;
}

/** Polls a condition on the event loop (the fakes and the child keep running meanwhile). */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for condition");
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
  }
}

/**
 * Leaves `sandbox.repo` as a crash would: `hierocode patch apply` (the BUILT CLI) of whole-file
 * changes to `edits` (repo-relative path → new content; the files must exist), SIGKILLed by
 * HIEROCODE_FAULT_AT after the first rename of the commit phase (src/edits/journal.ts), so the
 * first file holds the new content, the others the old, and a `committing` journal remains.
 * Throws when the tree is not left mixed (the journal's step numbering changed).
 */
export async function leaveHalfWrittenTree(sandbox: Sandbox, edits: Record<string, string>): Promise<void> {
  const entries = Object.entries(edits);
  let diff = "";
  for (const [file, after] of entries) {
    const before = readFileSync(join(sandbox.repo, file), "utf8");
    const lines = (text: string) => text.replace(/\n$/, "").split("\n");
    const old = lines(before);
    const next = lines(after);
    diff += `--- a/${file}\n+++ b/${file}\n@@ -1,${old.length} +1,${next.length} @@\n`;
    diff += `${old.map((line) => `-${line}`).join("\n")}\n${next.map((line) => `+${line}`).join("\n")}\n`;
  }
  const patch = join(sandbox.home, "half-written.diff");
  writeFileSync(patch, diff);
  // steps: start, one original each, journal, one temp each, commit, then one rename each
  const afterFirstRename = 1 + entries.length + 1 + entries.length + 1 + 2;
  const child = spawn(process.execPath, [cliPath, "patch", "apply", patch], {
    cwd: sandbox.repo,
    env: { ...sandbox.env, HIEROCODE_FAULT_AT: String(afterFirstRename) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolvePromise) =>
    child.on("close", (_code, killed) => resolvePromise(killed)),
  );
  const state = entries.map(([file, after]) => readFileSync(join(sandbox.repo, file), "utf8") === after);
  if (signal !== "SIGKILL" || state.filter(Boolean).length !== 1 || state[0] !== true)
    throw new Error(`patch apply was not killed mid-commit (signal ${signal}, new: ${state}):\n${stderr}`);
}
