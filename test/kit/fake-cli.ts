/**
 * Installs the fake `claude` and `codex` executables (test/kit/fake-cli/) into a fresh temp
 * folder and returns an environment that finds them first on PATH. Each install has its own
 * invocation logs and scripts, so parallel tests do not see each other's calls.
 *
 *   const fakes = installFakeClis({ claudeMode: "not_logged_in" });
 *   await runCli({ argv: ["doctor"], env: fakes.env, … });
 *   expect(fakes.logOf("claude").some((call) => call.argv.includes("-p"))).toBe(false);
 *   fakes.cleanup();
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type FakeClaudeMode = "ok" | "not_logged_in" | "hang" | "hang_hard" | "crash" | "signal" | "slow";
export type FakeCodexMode =
  | "ok"
  | "not_logged_in"
  | "hang"
  | "hang_hard"
  | "flaky"
  | "turn_failed"
  | "crash"
  | "signal"
  | "slow";

/** One scripted reply. The first matching rule with uses left wins; unmatched calls get `default`. */
export interface FakeCliRule {
  promptIncludes?: string | string[];
  promptExcludes?: string;
  systemIncludes?: string | string[];
  hasSchema?: boolean;
  /** Resolved model id (claude: aliases resolved, e.g. "claude-sonnet-5"). */
  model?: string;
  /** How many calls this rule answers (default: unlimited). */
  times?: number;
  /** Reply text. */
  reply?: string;
  /** Structured reply (claude: `structured_output`; codex: the agent message as JSON). */
  json?: unknown;
  /** claude only: omit `structured_output` so the client must parse the result text. */
  structuredOutput?: false;
  /**
   * A fault for this call. claude: any mode, or rate_limit | overloaded | api_error_500 |
   * prompt_too_long | error_max_turns | error_during_execution | error_max_budget_usd |
   * error_max_structured_output_retries. codex: any mode.
   */
  fault?: string;
  /** Error text for faults that carry one (codex turn_failed, claude errors). */
  message?: string;
  delayMs?: number;
  /** claude: {inputTokens, outputTokens, cacheReadInputTokens, cacheCreationInputTokens}. */
  /** codex: {input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens, cache_write_input_tokens}. */
  usage?: Record<string, number>;
  /** claude: replace the whole `modelUsage` object (e.g. to add a second model). */
  modelUsage?: Record<string, Record<string, number>>;
  /** claude: model id reported in modelUsage. */
  modelId?: string;
  costUsd?: number;
  stopReason?: string | null;
  terminalReason?: string;
  numTurns?: number;
  /** codex: number of `{"type":"error","message":"Reconnecting... n/5"}` lines before the answer. */
  reconnects?: number;
}

export interface FakeCliScript {
  rules?: FakeCliRule[];
  default?: FakeCliRule;
}

export interface FakeCliInvocation {
  time: string;
  pid: number;
  cwd: string;
  env: Record<string, string>;
  argv: string[];
  /** Present for `claude -p` and `codex exec`: */
  stdin?: string;
  prompt?: string;
  system?: string;
  model?: string;
  outcome?: string;
  rule?: number;
  /** The hanging grandchild of hang modes (to check that the whole tree was killed). */
  childPid?: number;
  [key: string]: unknown;
}

export interface InstallFakeClisOptions {
  claudeMode?: FakeClaudeMode;
  codexMode?: FakeCodexMode;
  claudeScript?: FakeCliScript | FakeCliRule[];
  codexScript?: FakeCliScript | FakeCliRule[];
  /** Which fakes to put on PATH (default both): leave one out to simulate "not installed". */
  install?: ReadonlyArray<"claude" | "codex">;
  /**
   * PATH = binDir, node's folder, /usr/bin and /bin only, so a claude/codex installed on the
   * developer's machine cannot stand in for a fake that was left out.
   */
  isolatePath?: boolean;
  /** Extra variables for the returned env (e.g. CODEX_API_KEY, FAKE_CLAUDE_DELAY_MS). */
  extraEnv?: Record<string, string>;
}

export interface FakeClis {
  binDir: string;
  /** process.env without vendor credentials, PATH with binDir first, and the FAKE_* variables. */
  env: Record<string, string | undefined>;
  /** Absolute paths of the installed wrappers (usable as `binary:` in a provider config). */
  claudePath: string;
  codexPath: string;
  logOf(name: "claude" | "codex"): FakeCliInvocation[];
  cleanup(): void;
}

export const fakeCliSourceDir = fileURLToPath(new URL("./fake-cli/", import.meta.url));

/** Variables that would make the fakes (like the real CLIs) see a developer's own credentials. */
const credentialVariables = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "CODEX_API_KEY",
  "OPENAI_API_KEY",
];

export function installFakeClis(options: InstallFakeClisOptions = {}): FakeClis {
  const root = mkdtempSync(join(tmpdir(), "hierocode-fake-cli-"));
  const binDir = join(root, "bin");
  const install = options.install ?? ["claude", "codex"];
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of credentialVariables) delete env[name];
  for (const name of ["claude", "codex"] as const) {
    const upper = name.toUpperCase();
    env[`FAKE_${upper}_LOG`] = join(root, `${name}.log.jsonl`);
    const mode = name === "claude" ? options.claudeMode : options.codexMode;
    env[`FAKE_${upper}_MODE`] = mode ?? "ok";
    const script = name === "claude" ? options.claudeScript : options.codexScript;
    if (script !== undefined) {
      const file = join(root, `${name}.script.json`);
      writeFileSync(file, JSON.stringify(script));
      env[`FAKE_${upper}_SCRIPT`] = file;
    } else {
      delete env[`FAKE_${upper}_SCRIPT`];
    }
  }
  writeWrappers(binDir, install);
  env.PATH = options.isolatePath
    ? [binDir, dirname(process.execPath), "/usr/bin", "/bin"].join(":")
    : `${binDir}:${process.env.PATH ?? ""}`;
  Object.assign(env, options.extraEnv ?? {});
  return {
    binDir,
    env,
    claudePath: join(binDir, "claude"),
    codexPath: join(binDir, "codex"),
    logOf: (name) => readLog(join(root, `${name}.log.jsonl`)),
    cleanup: () => {
      for (const name of ["claude", "codex"] as const)
        killLeftovers(readLog(join(root, `${name}.log.jsonl`)));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A wrapper with node's absolute path keeps the fakes working when a test narrows PATH. */
function writeWrappers(binDir: string, install: ReadonlyArray<"claude" | "codex">): void {
  mkdirSync(binDir, { recursive: true });
  for (const name of install) {
    const target = join(fakeCliSourceDir, name);
    const wrapper = join(binDir, name);
    writeFileSync(wrapper, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(target)} "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** True while `pid` is a live process (a zombie awaiting its reaper counts as dead). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (macOS): kill(0) is all we know
  }
}

/** Resolves true once `pid` is gone, false if it is still alive after `timeoutMs`. */
export async function waitForProcessExit(pid: number, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !isProcessAlive(pid);
}

/**
 * Kills hanging fakes (and their grandchildren) a failed test left behind. Only processes whose
 * command line shows they are ours, in case a pid was reused.
 */
function killLeftovers(invocations: FakeCliInvocation[]): void {
  for (const invocation of invocations) {
    for (const pid of [invocation.pid, invocation.childPid]) {
      if (pid === undefined || !isProcessAlive(pid)) continue;
      let commandLine = "";
      try {
        commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        continue;
      }
      if (!commandLine.includes("fake-cli") && !commandLine.includes("setInterval(()=>{},1e9)")) continue;
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone meanwhile */
      }
    }
  }
}

function readLog(file: string): FakeCliInvocation[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as FakeCliInvocation);
}
