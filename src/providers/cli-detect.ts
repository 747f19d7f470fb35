/**
 * Is the claude / codex CLI installed, and is it logged in? Used by `doctor`, `init --wizard`
 * and the CLI providers' health(). Only free, offline probes (protocols.md §6): `--version`,
 * `claude auth status`, `codex doctor --json`, `codex login status`. Never `claude -p` or
 * `codex exec`, which spend quota or hang for minutes without network.
 */
import { type ProcessResult, runProcess, tail } from "../util/process.js";

export interface CliDetection {
  installed: boolean;
  version?: string;
  /** undefined when the login state could not be determined */
  loggedIn?: boolean;
  /** claude: api_key | oauth_token | claude.ai …; codex: chatgpt | api_key | env:CODEX_API_KEY … */
  authMethod?: string;
  /** one line: what we found */
  message: string;
  /** one line: what to do, when something is missing */
  hint?: string;
}

export interface DetectOptions {
  /** Limit for each probe (default 10 s), so a hanging binary cannot hang doctor. */
  timeoutMs?: number;
  signal?: AbortSignal;
  cwd?: string;
}

export const claudeInstallHint = "install Claude Code: npm install -g @anthropic-ai/claude-code";
export const claudeLoginHint = "run `claude /login` (or `claude auth login`)";
export const codexInstallHint = "install the Codex CLI: npm install -g @openai/codex";
export const codexLoginHint = "run `codex login` (or set CODEX_API_KEY)";

const defaultProbeTimeoutMs = 10_000;

type Env = Record<string, string | undefined>;

function probe(binary: string, args: string[], env: Env, options: DetectOptions): Promise<ProcessResult> {
  return runProcess({
    command: binary,
    args,
    env,
    timeoutMs: options.timeoutMs ?? defaultProbeTimeoutMs,
    killGraceMs: 500,
    maxOutputBytes: 1024 * 1024,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
}

function describeFailure(command: string, result: ProcessResult, timeoutMs: number): string {
  if (result.timedOut) return `\`${command}\` did not answer within ${Math.round(timeoutMs / 1000)} s`;
  if (result.aborted) return `\`${command}\` was cancelled`;
  if (result.spawnError) return `\`${command}\` could not start: ${result.spawnError.message}`;
  const status = result.signal ? `signal ${result.signal}` : `exit status ${result.exitCode}`;
  const detail = tail(result.stderr || result.stdout, 200);
  return `\`${command}\` failed (${status})${detail ? `: ${detail}` : ""}`;
}

/** Installed = `--version` answers with rc 0; returns the detection to report when it does not. */
async function versionProbe(
  label: string,
  binary: string,
  env: Env,
  options: DetectOptions,
  installHint: string,
  parse: (stdout: string) => string | undefined,
): Promise<{ version: string } | CliDetection> {
  const result = await probe(binary, ["--version"], env, options);
  if (result.notFound)
    return {
      installed: false,
      message: `${label} is not installed (\`${binary}\` not found on PATH)`,
      hint: installHint,
    };
  if (result.exitCode !== 0) {
    return {
      installed: false,
      message: describeFailure(`${binary} --version`, result, options.timeoutMs ?? defaultProbeTimeoutMs),
      hint: installHint,
    };
  }
  return { version: parse(result.stdout) ?? result.stdout.trim() };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text.trim());
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export async function detectClaude(
  env: Env,
  binary = "claude",
  options: DetectOptions = {},
): Promise<CliDetection> {
  const installed = await versionProbe(
    "Claude Code",
    binary,
    env,
    options,
    claudeInstallHint,
    (stdout) => /(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1],
  );
  if ("installed" in installed) return installed;
  const version = installed.version;
  const status = await probe(binary, ["auth", "status"], env, options);
  const report = parseJsonObject(status.stdout);
  if (report && typeof report.loggedIn === "boolean") {
    const authMethod = typeof report.authMethod === "string" ? report.authMethod : undefined;
    if (report.loggedIn) {
      return {
        installed: true,
        version,
        loggedIn: true,
        ...(authMethod ? { authMethod } : {}),
        message: `claude ${version} is installed and logged in${authMethod ? ` (${authMethod})` : ""}`,
      };
    }
    return {
      installed: true,
      version,
      loggedIn: false,
      ...(authMethod ? { authMethod } : {}),
      message: `claude ${version} is installed but not logged in`,
      hint: claudeLoginHint,
    };
  }
  // Older versions have no `auth status`: an API key in the environment is the one thing we can tell.
  const envMethod = env.ANTHROPIC_API_KEY
    ? "api_key"
    : env.CLAUDE_CODE_OAUTH_TOKEN || env.ANTHROPIC_AUTH_TOKEN
      ? "oauth_token"
      : undefined;
  if (envMethod)
    return {
      installed: true,
      version,
      loggedIn: true,
      authMethod: envMethod,
      message: `claude ${version} is installed; credentials come from the environment (${envMethod})`,
    };
  return {
    installed: true,
    version,
    message: `claude ${version} is installed but its login state is unknown: ${describeFailure(`${binary} auth status`, status, options.timeoutMs ?? defaultProbeTimeoutMs)}`,
    hint: `${claudeLoginHint}; \`claude auth status\` needs Claude Code 2.x`,
  };
}

interface CodexDoctorCheck {
  status?: unknown;
  summary?: unknown;
  remediation?: unknown;
  details?: Record<string, unknown>;
}

export async function detectCodex(
  env: Env,
  binary = "codex",
  options: DetectOptions = {},
): Promise<CliDetection> {
  const installed = await versionProbe(
    "Codex CLI",
    binary,
    env,
    options,
    codexInstallHint,
    (stdout) => /(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1],
  );
  if ("installed" in installed) return installed;
  const version = installed.version;
  const loggedIn = (authMethod: string, how: string): CliDetection => ({
    installed: true,
    version,
    loggedIn: true,
    authMethod,
    message: `codex ${version} is installed and logged in (${how})`,
  });
  const notLoggedIn = (why: string): CliDetection => ({
    installed: true,
    version,
    loggedIn: false,
    message: `codex ${version} is installed but not logged in${why ? `: ${why}` : ""}`,
    hint: codexLoginHint,
  });

  // Best probe: `codex doctor --json` also sees keys supplied through the environment.
  const doctor = await probe(binary, ["doctor", "--json"], env, options);
  const report = parseJsonObject(doctor.stdout);
  const checks = report?.checks as Record<string, CodexDoctorCheck> | undefined;
  const credentials = checks?.["auth.credentials"];
  if (credentials && typeof credentials.status === "string") {
    const summary = typeof credentials.summary === "string" ? credentials.summary : "";
    if (credentials.status === "ok") {
      const envVars = credentials.details?.["auth env vars present"];
      return loggedIn(
        typeof envVars === "string" ? `env:${envVars}` : "stored credentials",
        summary || "codex doctor",
      );
    }
    return notLoggedIn(summary);
  }

  // Older codex without `doctor`: `login status` (rc 0 = logged in; its text is on stderr). It
  // ignores keys in the environment, so check CODEX_API_KEY ourselves.
  const status = await probe(binary, ["login", "status"], env, options);
  const statusText = tail(status.stderr || status.stdout, 200);
  if (status.exitCode === 0) {
    const method = /api key/i.test(statusText)
      ? "api_key"
      : /chatgpt/i.test(statusText)
        ? "chatgpt"
        : "stored credentials";
    return loggedIn(
      method,
      statusText.split("\n").find((line) => /log|key/i.test(line) && !line.startsWith("WARNING")) ??
        "codex login status",
    );
  }
  if (env.CODEX_API_KEY) return loggedIn("env:CODEX_API_KEY", "CODEX_API_KEY is set");
  if (status.exitCode === 1) return notLoggedIn("");
  return {
    installed: true,
    version,
    message: `codex ${version} is installed but its login state is unknown: ${describeFailure(`${binary} login status`, status, options.timeoutMs ?? defaultProbeTimeoutMs)}`,
    hint: codexLoginHint,
  };
}
