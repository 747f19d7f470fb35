/** Runs the CLI in-process or as the built binary, with an isolated home and a fake Ollama. */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { runCli } from "../../src/cli/main.js";

export const builtCli = resolve("dist/cli/main.js");

export function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "hierocode-home-"));
  return {
    PATH: process.env.PATH ?? "",
    HOME: home,
    HIEROCODE_STATE_DIR: join(home, "state"),
    HIEROCODE_CACHE_DIR: join(home, "cache"),
    NO_COLOR: "1",
    ...extra,
  };
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    text: () => chunks.join(""),
  };
}

export async function runInProcess(
  argv: string[],
  env: Record<string, string>,
  cwd = process.cwd(),
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli({ argv, env, cwd, stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

export function runBuilt(
  argv: string[],
  options: { env: Record<string, string>; cwd?: string; input?: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runExecutable(process.execPath, [builtCli, ...argv], options);
}

/** Spawns asynchronously, so fake servers in this process keep answering. */
export function runExecutable(
  executable: string,
  argv: string[],
  options: { env: Record<string, string>; cwd?: string; input?: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(executable, argv, {
      env: options.env,
      cwd: options.cwd ?? process.cwd(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}
