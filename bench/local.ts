/**
 * In-process model benchmark (`npm run bench:local`): the `llama_cpp` provider (node-llama-cpp,
 * installed with `hierocode local install`, or HIEROCODE_LLAMA_CPP_DIR) on the tiny GGUF
 * (../shared/models/llama-2-tiny-random.gguf beside the checkout, or BENCH_LOCAL_MODEL), gpu false, 1 thread.
 *
 * | measured                                                                  | goal          |
 * |---------------------------------------------------------------------------|---------------|
 * | cold load: runtime import + GGUF header + weights + context               | ≤ 5000 ms     |
 * | per-call overhead of the provider: its call minus node-llama-cpp called directly on the same loaded model with the same prompt (paired rounds, medians) | ≤ the per-call cost of the same prompt through OllamaProvider against the fake Ollama over HTTP (an instant model: pure transport and protocol) |
 *
 * Both in-process paths generate the same 8 tokens greedily (temperature 0); the bench checks
 * they are identical. Exits 1 when a goal is missed, 2 when the runtime or model is missing.
 * BENCH_LOCAL_ROUNDS (default 41; fewer rounds let generation jitter swamp a sub-millisecond overhead).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { providerSchema } from "../src/config/schema.js";
import { LlamaCppProvider } from "../src/providers/llama-cpp.js";
import { llamaCppStatus } from "../src/providers/llama-cpp-runtime.js";
import { OllamaProvider } from "../src/providers/ollama.js";
import { startFakeOllama } from "../test/kit/fake-ollama.js";

const modelPath =
  process.env.BENCH_LOCAL_MODEL ??
  resolve(import.meta.dirname, "../../shared/models/llama-2-tiny-random.gguf");
const rounds = Math.max(5, Number.parseInt(process.env.BENCH_LOCAL_ROUNDS ?? "41", 10) || 41);
const loadGoalMs = 5000;
const env = { ...process.env };

if (!llamaCppStatus(env).installed || !existsSync(modelPath)) {
  process.stderr.write(
    `error: ${existsSync(modelPath) ? "the llama_cpp runtime is not installed" : `no model at ${modelPath}`}\nhint: run hierocode local install (or set HIEROCODE_LLAMA_CPP_DIR / BENCH_LOCAL_MODEL)\n`,
  );
  process.exit(2);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const ms = (value: number) => `${value.toFixed(2)} ms`;

const gguf = new LlamaCppProvider(
  "gguf",
  providerSchema.parse({
    type: "llama_cpp",
    model_path: modelPath,
    threads: 1,
    gpu: false,
    context_size: 256,
  }),
  { env },
);
const request = {
  model: "tiny",
  system: "You write code.",
  messages: [{ role: "user" as const, content: "Write a function that doubles a number." }],
  maxOutputTokens: 8,
  temperature: 0,
};

let started = performance.now();
const loaded = await gguf.load("tiny");
const loadMs = performance.now() - started;

/** node-llama-cpp called directly: the same steps the provider needs, nothing else. */
async function direct(): Promise<string> {
  const { module, sequence } = loaded;
  await sequence.clearHistory();
  const session = new module.LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false }) as {
    setChatHistory(history: unknown[]): void;
    promptWithMeta(prompt: string, options: Record<string, unknown>): Promise<{ responseText: string }>;
    dispose(options: { disposeSequence: boolean }): void;
  };
  session.setChatHistory([{ type: "system", text: request.system }]);
  const answer = await session.promptWithMeta(request.messages[0]?.content ?? "", {
    maxTokens: 8,
    temperature: 0,
  });
  session.dispose({ disposeSequence: false });
  return answer.responseText;
}

const ollamaFake = await startFakeOllama();
ollamaFake.script.setDefault({ text: "def double(x):\n    return 2 * x\n" });
const ollama = new OllamaProvider(
  "ollama",
  providerSchema.parse({ type: "ollama", base_url: ollamaFake.url }),
  { env },
);
const httpRequest = { ...request, model: "qwen2.5-coder:7b", numCtx: 4096 };

// Warm-up (first grammar-free prompt, first HTTP connection).
await gguf.generate(request);
await direct();
await ollama.generate(httpRequest);

const overhead: number[] = [];
const http: number[] = [];
let same = true;
for (let round = 0; round < rounds; round++) {
  const pair: Array<() => Promise<void>> = [
    async () => {
      started = performance.now();
      const viaProvider = await gguf.generate(request);
      const providerMs = performance.now() - started;
      started = performance.now();
      const viaLibrary = await direct();
      const libraryMs = performance.now() - started;
      overhead.push(providerMs - libraryMs);
      if (viaProvider.text !== viaLibrary) same = false;
    },
    async () => {
      started = performance.now();
      await ollama.generate(httpRequest);
      http.push(performance.now() - started);
    },
  ];
  if (round % 2) pair.reverse();
  for (const step of pair) await step();
}
await ollamaFake.close();

const overheadMs = median(overhead);
const httpMs = median(http);
const rows = [
  ["measured", "value", "goal", "ok"],
  ["cold load (import + header + weights + context)", ms(loadMs), `≤ ${loadGoalMs} ms`, loadMs <= loadGoalMs],
  [
    "provider overhead per call (vs node-llama-cpp direct)",
    ms(overheadMs),
    `≤ HTTP path`,
    overheadMs <= httpMs,
  ],
  ["same prompt via OllamaProvider → fake Ollama (HTTP)", ms(httpMs), "reference", true],
  ["provider and direct library output identical", String(same), "true", same],
];
for (const row of rows) process.stdout.write(`| ${row.map(String).join(" | ")} |\n`);
process.stdout.write(`${rounds} paired rounds, medians; 8 tokens greedy; threads 1, gpu false\n`);
const failed = rows.slice(1).some((row) => row[3] === false);
if (failed) process.stdout.write("goal missed\n");
process.exit(failed ? 1 : 0);
