/**
 * The test kit: fake model servers that speak the real wire formats (protocols.md §2–§4),
 * the scripting they share, and small helpers for provider runtimes.
 *
 *   const fake = await startFakeOllama({
 *     rules: [
 *       { system: "reviewer", reply: { json: { verdict: "accept" } } },          // match on system text
 *       { user: /add/i, reply: { fault: { status: 429, headers: { "retry-after": "1" } } }, times: 1 },
 *       { model: "big:70b", reply: "hang" },                                     // or "cut", { streamError }
 *     ],
 *     default: { text: "def add(a, b): return a + b" },
 *   });
 *   const { runtime, sleeps } = instantRuntime();                              // backoff without waiting
 *   const provider = new OllamaProvider("local", { type: "ollama", base_url: fake.url, auth: { type: "none" } }, runtime);
 *   await provider.generate({ model: "qwen2.5-coder:7b", messages: [...], maxOutputTokens: 512 });
 *   expect(fake.lastRequest("/api/chat").body.options.num_ctx).toBe(2048);
 *   await fake.close();
 *
 * Rules without `path` apply to the generation endpoint only; give a `path` to fault
 * `/api/tags`, `/v1/models`, …. A CLI spawned by a test reaches the fake through its URL in
 * the config file; `serve-fake.ts` runs a fake standalone with a JSON script.
 */

export {
  anthropicErrorBody,
  defaultAnthropicModels,
  type FakeAnthropic,
  type FakeAnthropicModel,
  type FakeAnthropicOptions,
  startFakeAnthropic,
} from "./fake-anthropic.js";
export {
  defaultOllamaModels,
  type FakeOllama,
  type FakeOllamaModel,
  type FakeOllamaOptions,
  startFakeOllama,
} from "./fake-ollama.js";
export {
  defaultOpenAiModels,
  type FakeOpenAi,
  type FakeOpenAiModel,
  type FakeOpenAiOptions,
  openAiErrorBody,
  startFakeOpenAI,
} from "./fake-openai.js";
export type { FakeServer, RecordedRequest, WireJson } from "./fake-server.js";
export {
  type AnswerOptions,
  type FaultReply,
  fakeTokenCount,
  type Reply,
  type Rule,
  type RuleMatch,
  Script,
  type ScriptInit,
  type ScriptRequest,
  type TextMatcher,
  type UsageOverride,
} from "./script.js";

/** A provider runtime whose `sleep` returns at once and records the requested delays. */
export function instantRuntime(env: Record<string, string | undefined> = {}): {
  runtime: { env: Record<string, string | undefined>; sleep: (ms: number) => Promise<void> };
  sleeps: number[];
} {
  const sleeps: number[] = [];
  return {
    sleeps,
    runtime: {
      env,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
    },
  };
}
