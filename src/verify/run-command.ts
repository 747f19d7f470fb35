/**
 * Runs a shell command in its own session and process group with a hard timeout, capturing
 * stdout and stderr interleaved. Every process it starts carries an environment marker
 * (`HIEROCODE_VERIFY_ID`), so on timeout, abort or exit the whole tree is killed: the group, and
 * on Linux every process whose /proc/<pid>/environ holds the marker — which catches children
 * that left the group (`setsid sleep 40 &`). The wait ends at the limit (plus the kill grace),
 * whoever still holds the output pipes.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { platform } from "node:os";

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
  /** Value of the `HIEROCODE_VERIFY_ID` marker given to every process of the command (default: random). */
  marker?: string;
}

/** The environment variable that marks every process of a verify command. */
export const verifyMarkerVariable = "HIEROCODE_VERIFY_ID";

/**
 * PIDs of the processes whose environment holds `HIEROCODE_VERIFY_ID=<marker>` (Linux /proc;
 * empty elsewhere or when /proc cannot be read). Source: proc(5), /proc/pid/environ.
 */
export function markedProcesses(marker: string): number[] {
  if (platform() !== "linux") return [];
  const needle = Buffer.from(`${verifyMarkerVariable}=${marker}\0`);
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).includes(needle)) found.push(pid);
    } catch {
      // gone, or another user's process
    }
  }
  return found;
}

/** Sends `signal` to every process carrying the marker; returns how many were signalled. */
export function killMarkedProcesses(marker: string, signal: NodeJS.Signals): number {
  let count = 0;
  for (const pid of markedProcesses(marker)) {
    try {
      process.kill(pid, signal);
      count += 1;
    } catch {
      // already gone
    }
  }
  return count;
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
  const marker =
    options.marker ?? `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, {
      cwd: options.cwd,
      shell: true,
      // own session and process group (setsid)
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        CI: "1",
        NO_COLOR: "1",
        FORCE_COLOR: "0",
        ...(options.env ?? {}),
        [verifyMarkerVariable]: marker,
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
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, action: () => void) => {
      const timer = setTimeout(action, ms);
      timer.unref();
      timers.push(timer);
    };
    const killTree = (signal: NodeJS.Signals) => {
      if (pid !== undefined) killProcessGroup(pid, signal);
      killMarkedProcesses(marker, signal);
    };
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    const finish = () => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      // stragglers (background processes the command left behind) go with it
      killTree("SIGKILL");
      if (pid !== undefined) activeGroups.delete(pid);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const output =
        dropped > 0 || tail
          ? `${head}${dropped > 0 ? `\n… [${dropped} characters omitted] …\n` : ""}${tail}`
          : head;
      resolve({
        exitCode,
        signal: exitSignal,
        timedOut,
        aborted,
        durationMs: Date.now() - started,
        output,
      });
    };
    const terminate = () => {
      killTree("SIGTERM");
      later(grace, () => killTree("SIGKILL"));
      // The wait ends at the limit: whatever still holds the pipes, stop waiting shortly after.
      later(grace + 500, finish);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, options.timeoutMs);
    timers.push(timer);
    const onAbort = () => {
      aborted = true;
      terminate();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });

    child.on("error", (error) => {
      if (settled) return;
      settled = true;
      for (const pending of timers) clearTimeout(pending);
      if (pid !== undefined) activeGroups.delete(pid);
      reject(error);
    });
    child.on("exit", (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      // The shell is done: its leftovers die now, so the pipes close; read what is buffered.
      killTree("SIGKILL");
      later(500, finish);
    });
    child.on("close", (code, signal) => {
      if (exitCode === null && exitSignal === null) {
        exitCode = code;
        exitSignal = signal;
      }
      finish();
    });
  });
}
