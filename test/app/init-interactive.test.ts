/**
 * The wizard's prompts in a real pseudo-terminal (test/kit/pty-drive.py answers them like a
 * person): the defaults are offered first, arrow keys pick another drafter, and declining the
 * final question writes nothing.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startFakeOllama } from "../kit/index.js";
import { keys, runInTerminal } from "../kit/terminal.js";
import { sandboxHome } from "./cli-harness.js";

const cliEntry = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function drive(steps: Array<[string, string]>) {
  const ollama = await startFakeOllama();
  cleanups.push(() => ollama.close());
  const { home, env } = sandboxHome();
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    ...env,
    OLLAMA_HOST: ollama.url,
    LMSTUDIO_HOST: "http://127.0.0.1:9/v1",
    HIEROCODE_FAKE_RAM_GIB: "32",
    ANTHROPIC_API_KEY: "",
    OPENAI_API_KEY: "",
    PATH: `${join(home, "no-bin")}:/usr/bin:/bin`,
  };
  const file = join(home, ".hierocode.yaml");
  // Whole prompt texts ("FILE" stands for the config's path), never a word the spinner also shows.
  const wanted = steps.map(([text, typed]): [string, string] => [text.replace("FILE", file), typed]);
  const { code, transcript } = await runInTerminal(wanted, [process.execPath, cliEntry, "init", "--wizard"], {
    env: childEnv,
  });
  return { code, transcript, file };
}

describe.skipIf(!existsSync(cliEntry))("hierocode init --wizard in a terminal", () => {
  it("offers the detected choices first and lets the user pick another drafter with the arrow keys", async () => {
    const run = await drive([
      ["planner (plans and reviews; short messages)", "\r"],
      ["drafter (writes the code locally)", `${keys.down}${keys.enter}`],
      ["write FILE?", "\r"],
    ]);
    expect(run.code, run.transcript).toBe(0);
    expect(run.transcript).toContain("qwen2.5-coder:7b");
    const config = parse(readFileSync(run.file, "utf8")) as { routing: Record<string, { model: string }> };
    expect(config.routing.drafter?.model).toBe("llama3.2:latest");
    // With no planner login or key, the local fallback plans with the chosen drafter.
    expect(config.routing.planner?.model).toBe("llama3.2:latest");
  });

  it("writes nothing when the user declines the last question", async () => {
    const run = await drive([
      ["planner (plans and reviews; short messages)", "\r"],
      ["drafter (writes the code locally)", "\r"],
      ["write FILE?", "n\r"],
    ]);
    expect(run.code, run.transcript).toBe(130);
    expect(existsSync(run.file)).toBe(false);
  });
});
