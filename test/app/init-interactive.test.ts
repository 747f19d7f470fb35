/**
 * The wizard's prompts in a real pseudo-terminal (test/kit/pty-drive.py answers them like a
 * person): the defaults are offered first, arrow keys pick another drafter, and declining the
 * final question writes nothing.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

async function drive(steps: Array<[string, string]>, prepareHome: (home: string) => void = () => undefined) {
  const ollama = await startFakeOllama();
  cleanups.push(() => ollama.close());
  const { home, env } = sandboxHome();
  cleanups.push(() => rmSync(join(home, ".."), { recursive: true, force: true }));
  prepareHome(home);
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    ...env,
    OLLAMA_HOST: ollama.url,
    LMSTUDIO_HOST: "http://127.0.0.1:9/v1",
    HIEROCODE_FAKE_RAM_GIB: "32",
    ANTHROPIC_API_KEY: "",
    OPENAI_API_KEY: "",
    PATH: `${join(home, "no-bin")}:/usr/bin:/bin`,
    // the GGUF search looks only inside the sandbox's HOME
    OLLAMA_MODELS: undefined,
    HF_HOME: undefined,
    HF_HUB_CACHE: undefined,
    HIEROCODE_LLAMA_CPP_DIR: join(home, "no-llama-cpp"),
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

  it("offers a GGUF file found in node-llama-cpp's folder as an in-process llama_cpp drafter", async () => {
    let model = "";
    const run = await drive(
      [
        ["planner (plans and reviews; short messages)", "\r"],
        // the GGUF file is the last choice: up from the first wraps to it
        ["drafter (writes the code locally)", `${keys.up}${keys.enter}`],
        ["write FILE?", "\r"],
      ],
      (home) => {
        const folder = join(home, ".cache", "node-llama-cpp", "models");
        mkdirSync(folder, { recursive: true });
        model = join(folder, "tiny-coder-q4_k_m.gguf");
        const bytes = Buffer.alloc(1024);
        bytes.write("GGUF", 0, "ascii");
        writeFileSync(model, bytes);
      },
    );
    expect(run.code, run.transcript).toBe(0);
    expect(run.transcript).toContain(
      "gguf files: 1 found (node-llama-cpp), offered as an in-process drafter",
    );
    expect(run.transcript).toContain("gguf/tiny-coder-q4_k_m.gguf");
    const config = parse(readFileSync(run.file, "utf8")) as {
      providers: Record<string, Record<string, unknown>>;
      routing: Record<string, { provider: string; model: string }>;
      parallelization: { max_local_workers: number };
    };
    expect(config.providers.gguf).toMatchObject({ type: "llama_cpp", model_path: model });
    expect(config.routing.drafter).toEqual({ provider: "gguf", model: "tiny-coder-q4_k_m.gguf" });
    // the local fallback planner keeps an Ollama model (a GGUF label is not one)
    expect(config.routing.planner?.provider).toBe("local_ollama");
    expect(config.routing.planner?.model).not.toContain(".gguf");
    expect(config.parallelization.max_local_workers).toBe(1);
    expect(run.transcript).toContain("hierocode local install");
  });
});
