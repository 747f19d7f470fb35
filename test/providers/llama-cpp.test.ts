/**
 * `type: llama_cpp` for real: node-llama-cpp 3.22.1 (CPU backend, installed by the same code as
 * `hierocode local install` into a cache folder outside the per-run temp folder, or into
 * HIEROCODE_TEST_LLAMA_CPP_DIR) running the random-weight tiny GGUF with gpu false and 1 thread.
 * The text is gibberish; the mechanics (grammar, tokens, cancellation, memory check) are real.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { providerSchema } from "../../src/config/schema.js";
import { AbortError } from "../../src/errors.js";
import { verdictJsonSchema, verdictSchema } from "../../src/pipeline/review-schema.js";
import {
  checkMemory,
  LlamaCppProvider,
  ollamaBlobPath,
  readGgufFacts,
} from "../../src/providers/llama-cpp.js";
import { installLlamaCpp, llamaCppStatus, loadNodeLlamaCpp } from "../../src/providers/llama-cpp-runtime.js";
import { makeSandbox, runCliProcess } from "../pipeline/support/e2e.js";

// The random-weight test model in ../shared beside the checkout (HIEROCODE_TEST_GGUF elsewhere).
const modelPath =
  process.env.HIEROCODE_TEST_GGUF ??
  resolve(import.meta.dirname, "../../../shared/models/llama-2-tiny-random.gguf");
// The global setup points TMPDIR at a per-run folder; the runtime is cached one level up.
const runtimeDir =
  process.env.HIEROCODE_TEST_LLAMA_CPP_DIR ?? join(dirname(tmpdir()), "hierocode-test-llama-cpp-3.22.1");
const env = { ...process.env, HIEROCODE_LLAMA_CPP_DIR: runtimeDir };
const tiny = { type: "llama_cpp", model_path: modelPath, threads: 1, gpu: false, context_size: 256 };

function provider(overrides: Record<string, unknown> = {}) {
  return new LlamaCppProvider("gguf", providerSchema.parse({ ...tiny, ...overrides }), { env });
}

beforeAll(async () => {
  if (!llamaCppStatus(env).installed) {
    const code = await installLlamaCpp("cpu", env, () => {});
    expect(code, "npm install of node-llama-cpp (network: npm registry)").toBe(0);
  }
}, 180_000);

function ggufSandbox(extra: Record<string, unknown> = {}) {
  const sandbox = makeSandbox({
    providers: { gguf: { ...tiny, ...extra } },
    routing: {
      planner: { provider: "gguf", model: "tiny" },
      drafter: { provider: "gguf", model: "tiny" },
      reviewer: { provider: "gguf", model: "tiny" },
    },
  });
  sandbox.env.HIEROCODE_LLAMA_CPP_DIR = runtimeDir;
  return sandbox;
}

describe("llama_cpp in-process provider", { timeout: 60_000 }, () => {
  it("reads context length, parameters and quantization from the GGUF header", async () => {
    const facts = await readGgufFacts(await loadNodeLlamaCpp(env), modelPath);
    expect(facts).toMatchObject({ architecture: "llama", contextLength: 4096, quantization: "F16" });
    expect(facts.parameterCount).toBeGreaterThan(0);
    expect(facts.kvBytesPerToken).toBe(2 * 1 * 8 * 2); // 2 × layers × n_embd_k_gqa × f16
    const capacity = await provider().capacity("tiny");
    expect(capacity).toMatchObject({ contextLength: 4096, quantization: "F16", family: "llama" });
  });

  it("streams text with exact token counts, and a schema grammar yields a verdict that parses", async () => {
    const gguf = provider();
    const request = {
      model: "tiny",
      system: "You review code.",
      messages: [{ role: "user" as const, content: "Judge this change." }],
      maxOutputTokens: 12,
    };
    const parts: string[] = [];
    let finish: unknown;
    for await (const part of gguf.stream(request)) {
      parts.push(part.type);
      if (part.type === "finish") finish = part.result;
    }
    expect(parts.filter((type) => type === "text-delta").length).toBeGreaterThan(0);
    expect(finish).toMatchObject({ finishReason: "length", usage: { outputTokens: 12 } });
    expect((finish as { usage: { inputTokens: number } }).usage.inputTokens).toBeGreaterThan(0);
    expect(await gguf.countTokens(request)).toBeGreaterThan(0);

    const verdict = await gguf.generate({
      ...request,
      maxOutputTokens: 200,
      jsonSchema: verdictJsonSchema(),
    });
    expect(verdict.warnings, JSON.stringify(verdict)).toEqual([]);
    expect(verdict.text.length, JSON.stringify(verdict)).toBeGreaterThan(0);
    expect(verdict.finishReason, verdict.text).toBe("stop");
    expect(() => JSON.parse(verdict.text)).not.toThrow();
    expect(Object.keys(verdict.json as object)).toEqual(expect.arrayContaining(["action", "confidence"]));
    expect(["accept", "revise", "split"]).toContain((verdict.json as { action: string }).action);
    // The grammar bounds strings so the JSON closes within the budget; every required key is there.
    // (Number ranges such as confidence ≤ 1 are not expressible in the grammar; the reviewer validates them.)
    expect(verdict.finishReason).toBe("stop");
    expect(verdictSchema.omit({ confidence: true }).safeParse(verdict.json).success).toBe(true);
    expect(typeof (verdict.json as { confidence: unknown }).confidence).toBe("number");
  });

  it("closes the compact checkpoint's JSON within its 100-token cap (maxTokens)", async () => {
    const verdict = await provider().generate({
      model: "tiny",
      system: "You review code.",
      messages: [{ role: "user", content: "Judge this change." }],
      maxOutputTokens: 100,
      jsonSchema: verdictJsonSchema("compact"),
    });
    expect(verdict.usage.outputTokens).toBeLessThanOrEqual(100);
    expect(verdict.finishReason, verdict.text).toBe("stop");
    expect(Object.keys(verdict.json as object).sort()).toEqual(["confidence", "escalate", "issues", "pass"]);
  });

  it("stops generating when the signal aborts (cancellation mid-generation)", async () => {
    const gguf = provider();
    const controller = new AbortController();
    const started = Date.now();
    let deltas = 0;
    let aborted = 0;
    const consume = async () => {
      for await (const part of gguf.stream({
        model: "tiny",
        messages: [{ role: "user", content: "Write a long story." }],
        maxOutputTokens: 200,
        signal: controller.signal,
      })) {
        if (part.type === "text-delta" && ++deltas === 2) {
          controller.abort();
          aborted = Date.now();
        }
      }
    };
    await expect(consume()).rejects.toBeInstanceOf(AbortError);
    expect(deltas).toBeGreaterThanOrEqual(2);
    expect(deltas).toBeLessThan(200);
    expect(aborted).toBeGreaterThan(started);
    // The model stays loaded and usable for the next (serialised) call.
    const next = await gguf.generate({
      model: "tiny",
      messages: [{ role: "user", content: "hi" }],
      maxOutputTokens: 3,
    });
    expect(next.usage.outputTokens).toBe(3);
  });

  it("refuses to load when weights plus KV cache exceed free memory, with the figures", async () => {
    expect(() =>
      checkMemory("gguf", { path: "m.gguf", sizeBytes: 4e9, kvBytesPerToken: 131072 }, 32768, 6e9),
    ).toThrow(/weights 3\.7 GiB \+ KV cache 4\.0 GiB \(context 32768 tokens\) = 7\.7 GiB, free 5\.6 GiB/);
    const huge = provider({ context_size: 100_000_000_000 });
    await expect(
      huge.generate({ model: "tiny", messages: [{ role: "user", content: "hi" }], maxOutputTokens: 3 }),
    ).rejects.toThrow(/not enough free memory to load .*KV cache .*context 100000000000 tokens/);
  });

  it("finds the GGUF blob of an Ollama model through its manifest", () => {
    const root = join(tmpdir(), "ollama-models");
    const manifest = join(root, "manifests", "registry.ollama.ai", "library", "tiny", "latest");
    mkdirSync(dirname(manifest), { recursive: true });
    mkdirSync(join(root, "blobs"), { recursive: true });
    writeFileSync(
      manifest,
      JSON.stringify({ layers: [{ mediaType: "application/vnd.ollama.image.model", digest: "sha256:abc" }] }),
    );
    writeFileSync(join(root, "blobs", "sha256-abc"), "GGUF");
    expect(ollamaBlobPath("tiny", { OLLAMA_MODELS: root })).toBe(join(root, "blobs", "sha256-abc"));
    expect(() => ollamaBlobPath("qwen2.5-coder:7b", { OLLAMA_MODELS: root })).toThrow(
      expect.objectContaining({ hint: expect.stringMatching(/ollama pull qwen2\.5-coder:7b/) }),
    );
  });
});

describe("llama_cpp through the built CLI", { timeout: 60_000 }, () => {
  it("worker drafts through the in-process model", async () => {
    const run = await runCliProcess(ggufSandbox(), ["worker", "print hello", "--json", "--max-tokens", "16"]);
    const result = JSON.parse(run.stdout) as { ok: boolean; provider: string; model: string; error?: string };
    // Random weights rarely stop before 16 tokens: a reply cut at the budget is reported as
    // truncated (exit 7, from the model's own stop reason), never printed as the artifact.
    if (run.code === 0) expect(result).toMatchObject({ ok: true, model: "tiny" });
    else {
      expect(run.code, run.stderr).toBe(7);
      expect(result).toMatchObject({ ok: false, model: "tiny", output: "" });
      expect(result.error).toMatch(/cut off at 16 output tokens/);
    }
  });

  it("review gets a grammar-constrained verdict from the in-process model", async () => {
    const run = await runCliProcess(ggufSandbox(), [
      "review",
      "-t",
      "keep add correct",
      "--file",
      "src/app/math.ts",
      "--json",
    ]);
    // Random weights: the verdict is schema-shaped JSON (the grammar), but its confidence may be out
    // of range, which the reviewer's validation refuses (exit 8) rather than guessing.
    const out = JSON.parse(run.stdout) as { ok: boolean; action?: string; error?: { message: string } };
    if (run.code === 0) expect(["accept", "revise", "split", "escalate"]).toContain(out.action);
    else {
      expect(run.code).toBe(8);
      expect(out.error?.message).toMatch(/confidence/);
      expect(out.error?.message).not.toMatch(/not JSON|cut off/);
    }
  });

  it("doctor reports the runtime and the GGUF metadata", async () => {
    const run = await runCliProcess(ggufSandbox(), ["doctor"]);
    expect(run.stdout + run.stderr).toMatch(/node-llama-cpp 3\.22\.1 \(cpu\)/);
    expect(run.stdout + run.stderr).toMatch(/context window 4096 tokens, [\d.]+K parameters, F16/);
  });

  it("without the runtime: one line naming hierocode local install", async () => {
    const sandbox = ggufSandbox();
    sandbox.env.HIEROCODE_LLAMA_CPP_DIR = join(sandbox.home, "no-runtime");
    const run = await runCliProcess(sandbox, ["worker", "print hello"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/the llama_cpp runtime \(node-llama-cpp\) is not installed/);
    expect(run.stderr).toMatch(/hint: run: hierocode local install/);
    expect(existsSync(join(sandbox.home, "no-runtime"))).toBe(false);
  });

  it("a config naming transformers_local says how to write llama_cpp", async () => {
    const sandbox = makeSandbox({ providers: { hf: { type: "transformers_local" } } });
    const run = await runCliProcess(sandbox, ["config", "validate"]);
    expect(run.code).toBe(3);
    expect(run.stdout + run.stderr).toMatch(
      /transformers_local is llama_cpp here: write type: llama_cpp with model_path/,
    );
  });
});
