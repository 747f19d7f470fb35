/**
 * Runs a command in a pseudo-terminal (test/kit/pty-drive.py) and answers its prompts: each step
 * waits for a text, then types keys. Asynchronous, so fake servers in the test process keep
 * answering. CI is removed from the environment: hierocode asks only when it has a terminal and
 * CI is unset.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const driver = fileURLToPath(new URL("./pty-drive.py", import.meta.url));

export const keys = { enter: "\r", down: "\u001b[B", up: "\u001b[A" };

export async function runInTerminal(
  steps: Array<[waitFor: string, type: string]>,
  command: string[],
  options: { cwd?: string; env: Record<string, string | undefined> },
): Promise<{ code: number | null; transcript: string }> {
  const env = { ...options.env };
  delete env.CI;
  const child = spawn("python3", [driver, JSON.stringify(steps), "--", ...command], {
    env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let transcript = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    transcript += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, transcript };
}
