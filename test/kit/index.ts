/**
 * The test kit: fake model servers that speak the real wire formats (protocols.md), the
 * scripting they share, and small helpers for provider runtimes.
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
