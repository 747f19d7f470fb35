/**
 * What bench:startup, bench:service and bench:pipeline share: the fake model servers (test/kit,
 * real wire protocols) started in a process of their own (bench/fakes-process.ts) so the timed
 * process pays nothing for them, a scratch git repository with a hermetic environment for the
 * built CLI, and the provider configuration that points the three roles at the fakes.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { ReplayRequest } from "./fakes-process.js";

const root = resolve(import.meta.dirname, "..");

/** Base URLs of the three fakes. */
export interface FakeUrls {
  anthropic: string;
  ollama: string;
  openai: string;
}

export interface Fakes {
  urls: FakeUrls;
  /** Every request the servers received since the last call, in arrival order. */
  dump(): Promise<ReplayRequest[]>;
  close(): Promise<void>;
}

/**
 * Starts the three fakes (test/kit) in a child process with these scripts (`ScriptInit` of
 * test/kit/script.ts per server, written to `folder/fake-scripts.json`). Rejects when the
 * process exits before printing its URLs.
 */
export async function startFakes(
  scripts: Record<"anthropic" | "ollama" | "openai", unknown>,
  folder: string,
): Promise<Fakes> {
  const scriptFile = join(folder, "fake-scripts.json");
  writeFileSync(scriptFile, JSON.stringify(scripts));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--experimental-strip-types",
      "--no-warnings=ExperimentalWarning",
      "--import",
      join(root, "bench", "edits-register.ts"),
      join(root, "bench", "fakes-process.ts"),
      scriptFile,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const iterator = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await iterator.next();
    if (done) throw new Error("the fakes process exited");
    return value as string;
  };
  const urls = JSON.parse(await next()) as FakeUrls;
  return {
    urls,
    async dump() {
      child.stdin!.write("dump\n");
      return JSON.parse(await next()) as ReplayRequest[];
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolvePromise) => child.once("exit", resolvePromise));
      child.stdin!.write("quit\n");
      await exited;
    },
  };
}

export interface BenchRepo {
  /** The scratch folder holding everything (remove it when done). */
  base: string;
  /** A git repository with one commit of `files`. */
  repo: string;
  /** HOME of the CLI processes: `~/.hierocode.yaml` goes here. */
  home: string;
  /** A hermetic environment for the CLI: own HOME, state and cache folders, fake API keys, no colour. */
  env: Record<string, string>;
}

/** A scratch git repository holding `files` (repo-relative path → content), committed once. */
export function benchRepo(prefix: string, files: Record<string, string>): BenchRepo {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const repo = join(base, "repo");
  const home = join(base, "home");
  mkdirSync(home, { recursive: true });
  mkdirSync(repo, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    HIEROCODE_STATE_DIR: join(base, "state"),
    HIEROCODE_CACHE_DIR: join(base, "cache"),
    ANTHROPIC_API_KEY: "sk-ant-bench-0123456789abcdef",
    OPENAI_API_KEY: "sk-bench-openai-0123456789abcdef",
    NO_COLOR: "1",
    CI: "1",
    GIT_AUTHOR_NAME: "Bench",
    GIT_AUTHOR_EMAIL: "bench@example.com",
    GIT_COMMITTER_NAME: "Bench",
    GIT_COMMITTER_EMAIL: "bench@example.com",
  };
  for (const args of [
    ["init", "-q"],
    ["add", "-A"],
    ["commit", "-q", "-m", "initial"],
  ])
    spawnSync("git", args, { cwd: repo, env });
  return { base, repo, home, env };
}

/**
 * The `providers` and `routing` sections that send each role to its fake: planner → fake
 * Anthropic (claude-sonnet-4-6), drafter → fake Ollama (qwen2.5-coder:7b), reviewer → fake
 * OpenAI-compatible server (gpt-5.4-mini). `maxRetries` (e.g. 0: a failure shows at once) is
 * set on every provider when given.
 */
export function fakeProvidersConfig(urls: FakeUrls, options: { maxRetries?: number } = {}) {
  const retries = options.maxRetries === undefined ? {} : { max_retries: options.maxRetries };
  return {
    providers: {
      api: {
        type: "anthropic",
        base_url: urls.anthropic,
        auth: { type: "bearer_env", env_var: "ANTHROPIC_API_KEY" },
        ...retries,
      },
      local: { type: "ollama", base_url: urls.ollama, ...retries },
      oai: {
        type: "openai_compatible",
        base_url: urls.openai,
        auth: { type: "bearer_env", env_var: "OPENAI_API_KEY" },
        ...retries,
      },
    },
    routing: {
      planner: { provider: "api", model: "claude-sonnet-4-6" },
      drafter: { provider: "local", model: "qwen2.5-coder:7b" },
      reviewer: { provider: "oai", model: "gpt-5.4-mini" },
    },
  };
}
