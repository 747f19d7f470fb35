/**
 * Runs a shell command in its own process group with a hard timeout, capturing stdout and
 * stderr interleaved. On timeout or abort the whole group is killed, so test runners that
 * fork workers do not outlive us.
 */
import { spawn } from "node:child_process";

export interface CommandRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** Combined output; the middle is dropped when it exceeds the cap. */
  output: string;
}

export interface RunCommandOptions {
  command: string;
  cwd: string;
  timeoutMs: number;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** Keep at most this many characters of output (head and tail). */
  maxOutputChars?: number;
  /** How long to wait after SIGTERM before SIGKILL. */
  killGraceMs?: number;
}

const activeGroups = new Set<number>();

/** Process-group ids of commands still running; the cleanup handler kills them on exit. */
export function runningProcessGroups(): ReadonlySet<number> {
  return activeGroups;
}

export function killProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function runCommand(options: RunCommandOptions): Promise<CommandRun> {
  const maxChars = options.maxOutputChars ?? 400_000;
  const grace = options.killGraceMs ?? 2_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, {
      cwd: options.cwd,
      shell: true,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        CI: "1",
        NO_COLOR: "1",
        FORCE_COLOR: "0",
        ...(options.env ?? {}),
      } as NodeJS.ProcessEnv,
    });
    const pid = child.pid;
    if (pid !== undefined) activeGroups.add(pid);
    let head = "";
    let tail = "";
    let dropped = 0;
    const append = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (head.length < maxChars / 2) {
        head += text;
        return;
      }
      tail += text;
      if (tail.length > maxChars / 2) {
        dropped += tail.length - maxChars / 2;
        tail = tail.slice(tail.length - maxChars / 2);
      }
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);

    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = () => {
      if (pid === undefined) return;
      killProcessGroup(pid, "SIGTERM");
      killTimer = setTimeout(() => killProcessGroup(pid, "SIGKILL"), grace);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      terminate();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });

    child.on("error", (error) => {
      clearTimeout(timer);
      if (pid !== undefined) activeGroups.delete(pid);
      reject(error);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
      if (pid !== undefined) {
        // stragglers (background processes the command left behind) go with the group
        killProcessGroup(pid, "SIGKILL");
        activeGroups.delete(pid);
      }
      const output =
        dropped > 0 || tail
          ? `${head}${dropped > 0 ? `\n… [${dropped} characters omitted] …\n` : ""}${tail}`
          : head;
      resolve({ exitCode, signal, timedOut, aborted, durationMs: Date.now() - started, output });
    });
  });
}
