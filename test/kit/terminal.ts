/**
 * Runs a command in a pseudo-terminal (test/kit/pty-drive.py) and answers its prompts: each step
 * waits for a text, then types keys. Asynchronous, so fake servers in the test process keep
 * answering. CI is removed from the environment: hierocode asks only when it has a terminal and
 * CI is unset.
 *
 * Wait for the whole prompt text (e.g. "drafter (writes the code locally)"), never a word a
 * spinner or log line also prints. The driver gives up after `timeoutMs` (default 15 s, below
 * vitest's 20 s test timeout; pass less than the test's own timeout when it sets one), and then
 * this rejects with the transcript, so a failure shows what the terminal showed.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const driver = fileURLToPath(new URL("./pty-drive.py", import.meta.url));

export const keys = { enter: "\r", down: "\u001b[B", up: "\u001b[A" };

/** Exit codes of pty-drive.py for "timed out" and "a prompt never appeared". */
const driverFailures: Record<number, string> = {
  124: "timed out",
  125: "a prompt it waited for never appeared",
};

export async function runInTerminal(
  steps: Array<[waitFor: string, type: string]>,
  command: string[],
  options: { cwd?: string; env: Record<string, string | undefined>; timeoutMs?: number },
): Promise<{ code: number | null; transcript: string }> {
  const env = { ...options.env };
  delete env.CI;
  const timeoutS = String((options.timeoutMs ?? 15_000) / 1000);
  const child = spawn("python3", [driver, JSON.stringify(steps), "--timeout", timeoutS, "--", ...command], {
    env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let transcript = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    transcript += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const failure = code === null ? undefined : driverFailures[code];
  if (failure) {
    throw new Error(
      `terminal driver: ${failure} after ${timeoutS} s (${command.slice(1).join(" ")})\n--- transcript ---\n${transcript}`,
    );
  }
  return { code, transcript };
}
