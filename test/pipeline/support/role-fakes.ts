/**
 * The three fake model servers the end-to-end tests of `hierocode mcp` and `hierocode serve`
 * run against (planner: Anthropic, drafter: Ollama, reviewer: OpenAI-compatible — the roles of
 * `roleConfig`), the one-unit run most of them script, and the sandbox's removal.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { type FakeAnthropic, startFakeAnthropic } from "../../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../../kit/fake-openai.js";
import type { Sandbox } from "./e2e.js";
import { searchReplace, unit } from "./harness.js";

export interface RoleFakes {
  anthropic: FakeAnthropic;
  ollama: FakeOllama;
  openai: FakeOpenAi;
  /** The URLs `roleConfig` takes. */
  urls: { anthropic: string; ollama: string; openai: string };
  close(): Promise<void>;
}

/** Starts the three fakes (port 0 each). */
export async function startRoleFakes(): Promise<RoleFakes> {
  const [anthropic, ollama, openai] = await Promise.all([
    startFakeAnthropic(),
    startFakeOllama(),
    startFakeOpenAI(),
  ]);
  return {
    anthropic,
    ollama,
    openai,
    urls: { anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl },
    close: async () => {
      await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
    },
  };
}

/** The reviewer's accepting verdict. */
export const acceptVerdict = {
  json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] },
};

/**
 * Scripts a one-unit run on `lib/deep/nested/util.py`: the planner plans unit u1, the drafter
 * rewrites `return x * 2` as `return x + x` (after `delayMs`, when given).
 */
export function scriptOneUnitRun(fakes: Pick<RoleFakes, "anthropic" | "ollama">, delayMs?: number): void {
  fakes.anthropic.script.on(
    { system: "You are the planner" },
    { json: { summary: "one step", units: [unit("u1", ["lib/deep/nested/util.py"])] } },
  );
  fakes.ollama.script.on(
    { user: "lib/deep/nested/util.py" },
    { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return x + x") },
    delayMs !== undefined ? { delayMs } : {},
  );
}

/** Removes a sandbox made by `makeSandbox` (its base folder: repo, home, state, cache). */
export function removeSandbox(sandbox: Sandbox | undefined): void {
  if (sandbox) rmSync(join(sandbox.repo, ".."), { recursive: true, force: true });
}
