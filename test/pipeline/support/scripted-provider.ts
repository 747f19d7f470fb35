/**
 * An in-process Provider for pipeline unit tests: answers from a function of the request and
 * records every request. (End-to-end tests use the HTTP fakes from test/kit instead.)
 */
import type { GenerateRequest, GenerateResult, Provider, ProviderType } from "../../../src/providers/spec.js";

export type Answer = string | { json: unknown } | { text: string; finishReason?: "stop" | "length" } | Error;

export interface ScriptedProvider extends Provider {
  requests: GenerateRequest[];
}

export function scriptedProvider(options: {
  name: string;
  type?: ProviderType;
  local?: boolean;
  contextLength?: number;
  parameterSize?: string;
  delayMs?: number;
  answer: (request: GenerateRequest, index: number) => Answer | Promise<Answer>;
}): ScriptedProvider {
  const requests: GenerateRequest[] = [];
  const provider: ScriptedProvider = {
    name: options.name,
    type: options.type ?? "ollama",
    local: options.local ?? true,
    requests,
    async generate(request) {
      const index = requests.length;
      requests.push(request);
      if (options.delayMs) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, options.delayMs);
          request.signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(Object.assign(new Error("aborted"), { name: "AbortError" }));
          });
        });
      }
      if (request.signal?.aborted) throw Object.assign(new Error("aborted"), { name: "AbortError" });
      const answer = await options.answer(request, index);
      if (answer instanceof Error) throw answer;
      const text =
        typeof answer === "string" ? answer : "text" in answer ? answer.text : JSON.stringify(answer.json);
      const result: GenerateResult = {
        text,
        ...(typeof answer === "object" && "json" in answer ? { json: answer.json } : {}),
        usage: { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0 },
        finishReason:
          typeof answer === "object" && "finishReason" in answer && answer.finishReason
            ? answer.finishReason
            : "stop",
        latencyMs: options.delayMs ?? 0,
        modelId: request.model,
        subscriptionMessages: 0,
        warnings: [],
      };
      return result;
    },
    // biome-ignore lint/correctness/useYield: not used by the pipeline
    async *stream() {
      throw new Error("not used");
    },
    async listModels() {
      return [];
    },
    async health() {
      return { ok: true, reachable: true, message: "ok" };
    },
    async capacity(model) {
      return {
        model,
        ...(options.contextLength ? { contextLength: options.contextLength } : {}),
        ...(options.parameterSize ? { parameterSize: options.parameterSize } : {}),
      };
    },
  };
  return provider;
}

export function lastUser(request: GenerateRequest): string {
  return request.messages.filter((message) => message.role === "user").at(-1)?.content ?? "";
}

export function allText(request: GenerateRequest): string {
  return [
    request.system ?? "",
    request.cachedContext ?? "",
    ...request.messages.map((message) => message.content),
  ].join("\n");
}
