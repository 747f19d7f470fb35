/**
 * Spawning external programs (the claude and codex CLIs, verify commands) without leaks:
 * every child runs in its own process group so a timeout or an abort can kill the whole tree,
 * stdin is always a pipe we close (never the user's terminal), output is bounded, and a
 * missing executable is a distinct result rather than a thrown error.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

export interface RunProcessOptions {
  command: string;
  args: readonly string[];
  cwd?: string;
  env: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. Without it stdin is closed at once. */
  input?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Stdout beyond this is dropped and `stdoutTruncated` is set (default 64 MiB). */
  maxOutputBytes?: number;
  /** Time between SIGTERM and SIGKILL when the tree is killed (default 2000 ms). */
  killGraceMs?: number;
  /** Called for each complete stdout line (without the newline), as it arrives. */
  onStdoutLine?: (line: string) => void;
}

export interface ProcessResult {
  stdout: string;
  /** The last 64 KiB of stderr: the end is where programs explain why they failed. */
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** The executable was not found (ENOENT): "not installed". */
  notFound: boolean;
  /** Any other failure to start (EACCES, missing cwd, …). */
  spawnError?: { code: string; message: string };
  stdoutTruncated: boolean;
  pid: number | undefined;
}

const defaultMaxOutputBytes = 64 * 1024 * 1024;
const stderrKeepBytes = 64 * 1024;
/** After the main process exits, how long we wait for pipes held by stray descendants. */
const drainAfterExitMs = 1000;

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}

function killGroup(pid: number, signal: NodeJS.Signals, alsoLeader: boolean): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: no group. While the leader is not yet reaped, signal it alone; once reaped its pid
    // may belong to someone else, so never fall back then.
    if (!alsoLeader) return;
    try {
      process.kill(pid, signal);
    } catch {
      /* already dead */
    }
  }
}

export function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  const started = performance.now();
  const base = (): ProcessResult => ({
    stdout: "",
    stderr: "",
    exitCode: null,
    signal: null,
    timedOut: false,
    aborted: false,
    durationMs: performance.now() - started,
    notFound: false,
    stdoutTruncated: false,
    pid: undefined,
  });
  if (options.signal?.aborted) return Promise.resolve({ ...base(), aborted: true });
  // spawn reports a missing cwd as ENOENT for the command, which would read as "not installed".
  if (options.cwd !== undefined && !existsSync(options.cwd)) {
    return Promise.resolve({
      ...base(),
      spawnError: { code: "ENOCWD", message: `working directory does not exist: ${options.cwd}` },
    });
  }

  return new Promise<ProcessResult>((resolve) => {
    const maxOutput = options.maxOutputBytes ?? defaultMaxOutputBytes;
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stdoutTruncated = false;
    let stderrBuffer = Buffer.alloc(0);
    let pendingLine = "";
    let timedOut = false;
    let aborted = false;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
      windowsHide: true,
    });
    const pid = child.pid;

    const terminateTree = (): void => {
      if (pid === undefined) return;
      const leaderAlive = exitCode === null && exitSignal === null;
      killGroup(pid, "SIGTERM", leaderAlive);
      killTimer ??= setTimeout(
        () => killGroup(pid, "SIGKILL", exitCode === null && exitSignal === null),
        options.killGraceMs ?? 2000,
      );
    };

    const onAbort = (): void => {
      aborted = true;
      terminateTree();
    };
    const timeoutTimer = setTimeout(() => {
      timedOut = true;
      terminateTree();
    }, options.timeoutMs);
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const finish = (extra: Partial<ProcessResult> = {}): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(drainTimer);
      options.signal?.removeEventListener("abort", onAbort);
      if (pendingLine.length > 0 && options.onStdoutLine) options.onStdoutLine(pendingLine);
      // A SIGKILL scheduled for a tree that is already gone would be harmless, but the
      // group id could in theory be reused later; clear it once the child is reaped.
      if (exitCode !== null || exitSignal !== null) clearTimeout(killTimer);
      resolve({
        stdout: Buffer.concat(stdoutChunks).toString("utf8"),
        stderr: stderrBuffer.toString("utf8"),
        exitCode,
        signal: exitSignal,
        timedOut,
        aborted,
        durationMs: performance.now() - started,
        notFound: false,
        stdoutTruncated,
        pid,
        ...extra,
      });
    };

    child.on("error", (error: NodeJS.ErrnoException) => {
      if (pid !== undefined) return; // errors after a successful spawn surface through exit/close
      const code = error.code ?? "UNKNOWN";
      finish(code === "ENOENT" ? { notFound: true } : { spawnError: { code, message: error.message } });
    });

    child.stdout.on("data", (chunk: Buffer) => {
      if (stdoutBytes < maxOutput) {
        const room = maxOutput - stdoutBytes;
        const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
        if (kept.length < chunk.length) stdoutTruncated = true;
        stdoutChunks.push(kept);
        stdoutBytes += kept.length;
      } else {
        stdoutTruncated = true;
      }
      if (options.onStdoutLine) {
        const text = pendingLine + chunk.toString("utf8");
        const lines = text.split("\n");
        pendingLine = lines.pop() ?? "";
        for (const line of lines) options.onStdoutLine(line.endsWith("\r") ? line.slice(0, -1) : line);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderrBuffer = Buffer.concat([stderrBuffer, chunk]);
      if (stderrBuffer.length > stderrKeepBytes)
        stderrBuffer = stderrBuffer.subarray(stderrBuffer.length - stderrKeepBytes);
    });

    // The child may exit without reading its input (EPIPE): that is its answer, not our crash.
    child.stdin.on("error", () => {});
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();

    child.on("exit", (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      // Descendants left behind (or still holding our pipes) are orphans of a finished call.
      if (pid !== undefined) killGroup(pid, "SIGKILL", false);
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, drainAfterExitMs);
    });
    child.on("close", () => finish());
  });
}

/** Short tail of a text (last `maxChars` characters, trimmed) for error messages. */
export function tail(text: string, maxChars = 800): string {
  const trimmed = text.trim();
  return trimmed.length <= maxChars ? trimmed : `…${trimmed.slice(trimmed.length - maxChars)}`;
}

/**
 * The line-streaming variant as an async iterator: yields stdout lines as they arrive and
 * returns the process result at the end. Breaking out of the loop kills the process tree.
 */
export async function* streamProcessLines(
  options: Omit<RunProcessOptions, "onStdoutLine">,
): AsyncGenerator<string, ProcessResult, undefined> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let result: ProcessResult | undefined;
  const stopController = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, stopController.signal])
    : stopController.signal;
  const running = runProcess({
    ...options,
    signal,
    onStdoutLine: (line) => {
      queue.push(line);
      wake?.();
    },
  }).then((finished) => {
    result = finished;
    wake?.();
  });
  try {
    while (true) {
      const line = queue.shift();
      if (line !== undefined) {
        yield line;
        continue;
      }
      if (result) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    await running;
    // The consumer saw every line; an abort we issued ourselves is not the caller's abort.
    return result as ProcessResult;
  } finally {
    if (!result) {
      stopController.abort();
      await running;
    }
  }
}

/** Stops a line stream early (kills the process tree); harmless when it already finished. */
export async function stopLineStream(
  stream: AsyncGenerator<string, ProcessResult, undefined>,
): Promise<void> {
  // The value is never read: return() only runs the generator's cleanup.
  await stream.return(undefined as never);
}
