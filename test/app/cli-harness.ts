/** Runs the CLI in-process with captured stdout/stderr and a sandboxed HOME/state/cache. */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { runCli } from "../../src/cli/main.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function sandboxHome(): { home: string; env: Record<string, string> } {
  const root = mkdtempSync(join(tmpdir(), "hc-home-"));
  const home = join(root, "home");
  mkdirSync(home, { recursive: true });
  return {
    home,
    env: {
      HOME: home,
      HIEROCODE_STATE_DIR: join(root, "state"),
      HIEROCODE_CACHE_DIR: join(root, "cache"),
      NO_COLOR: "1",
    },
  };
}

function sink(chunks: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
}

export async function cli(
  argv: string[],
  env: Record<string, string | undefined>,
  cwd?: string,
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli({
    argv,
    env,
    cwd: cwd ?? env.HOME ?? process.cwd(),
    stdout: sink(out),
    stderr: sink(err),
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}
