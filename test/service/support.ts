/** Spawning the built `hierocode serve` for tests: waits for its "listening on URL" line. */
import { type ChildProcess, spawn } from "node:child_process";
import { cliPath, type Sandbox } from "../pipeline/support/e2e.js";

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function spawnServe(
  sandbox: Sandbox,
  args: string[],
  env: Record<string, string> = {},
  waitForLine: RegExp = /listening on (http:\/\/\S+)/,
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [cliPath, "serve", ...args], {
    cwd: sandbox.repo,
    env: { ...sandbox.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 20_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = waitForLine.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1] ?? "",
          stderr: () => stderr,
          exited,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            await exited;
          },
        });
      }
    });
    child.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`serve exited before it listened:\n${stderr}`));
    });
  });
}

/** Polls GET /v1/tasks/:id until the task ends. */
export async function waitForTask(
  url: string,
  id: string,
  headers: Record<string, string> = {},
  timeoutMs = 40_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/v1/tasks/${id}`, { headers });
    const view = (await response.json()) as Record<string, unknown>;
    if (["succeeded", "failed", "cancelled"].includes(String(view.state))) return view;
    if (Date.now() > deadline) throw new Error(`task ${id} did not finish: ${JSON.stringify(view)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The e2e role config with the providers' default-like retries: several service processes on
 * two cores can reuse a keep-alive socket the fake server is just closing, which a real client
 * retries (a request that got no response).
 */
export function withRetries<T extends { providers: Record<string, Record<string, unknown>> }>(config: T): T {
  const providers: Record<string, Record<string, unknown>> = {};
  for (const [name, provider] of Object.entries(config.providers))
    providers[name] = { ...provider, max_retries: 2 };
  return { ...config, providers };
}
