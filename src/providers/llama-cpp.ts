/**
 * `type: llama_cpp`: a GGUF model run inside the hierocode process through node-llama-cpp
 * (installed on request, see llama-cpp-runtime.ts; API as of node-llama-cpp 3.22.1).
 *
 * - The model file: `model_path`, or `ollama_model` (the GGUF blob Ollama pulled, found through its
 *   manifest), or the routing model itself when it ends in `.gguf` or names an Ollama model.
 * - Loaded once per process and model; one context of `context_size` tokens (default: the model's
 *   trained context, at most 8,192) with one sequence. Calls are **serialised**: each waits for the
 *   previous one and starts from an empty history.
 * - `threads` is always passed (default: the machine's cores) — the library's default made the
 *   tiny test model 100× slower on 2 cores (protocols.md §7).
 * - Before loading: weights (file size) + KV cache (2 × layers × context × n_embd_k_gqa × 2 bytes,
 *   f16) against free RAM; refused with the figures when it does not fit (CPU only; with a GPU
 *   node-llama-cpp's own VRAM check applies).
 * - Structured output: a grammar from the JSON schema (`createGrammarForJsonSchema`); token counts
 *   from the model's own tokenizer (the sequence's token meter); cancellation stops generation
 *   (`stopOnAbortSignal`) and the call fails with AbortError.
 */
import { readFileSync, statSync } from "node:fs";
import { availableParallelism, freemem, homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { ProviderConfig } from "../config/schema.js";
import { AbortError, ProviderError } from "../errors.js";
import { formatBytes } from "../system/resources.js";
import { llamaCppStatus, loadNodeLlamaCpp, type NodeLlamaCppModule } from "./llama-cpp-runtime.js";
import type { ProviderRuntime } from "./runtime.js";
import {
  type Capacity,
  emptyUsage,
  type GenerateRequest,
  type GenerateResult,
  type HealthStatus,
  type JsonSchema,
  type ModelInfo,
  type Provider,
  type StreamPart,
} from "./spec.js";

type Env = Record<string, string | undefined>;

/**
 * The GGUF file of an Ollama model: `$OLLAMA_MODELS` (default `~/.ollama/models`)
 * `/manifests/registry.ollama.ai/<namespace or library>/<name>/<tag>` → the layer of media type
 * `application/vnd.ollama.image.model` → `blobs/sha256-<hex>`. Throws ProviderError
 * `model_not_found` when the manifest or blob is missing.
 */
export function ollamaBlobPath(model: string, env: Env = process.env): string {
  const root = env.OLLAMA_MODELS || join(env.HOME || homedir(), ".ollama", "models");
  const [nameWithSpace, tag = "latest"] = model.split(":") as [string, string?];
  const parts = nameWithSpace.split("/");
  const path =
    parts.length >= 3
      ? parts
      : parts.length === 2
        ? ["registry.ollama.ai", ...parts]
        : ["registry.ollama.ai", "library", ...parts];
  const manifest = join(root, "manifests", ...path, tag);
  let layers: Array<{ mediaType?: string; digest?: string }>;
  try {
    layers = (JSON.parse(readFileSync(manifest, "utf8")) as { layers?: typeof layers }).layers ?? [];
  } catch {
    throw new ProviderError("model_not_found", `Ollama has no manifest for ${model} (${manifest})`, {
      provider: "llama_cpp",
      retryable: false,
      hint: `pull it with: ollama pull ${model}   (or set model_path to a .gguf file)`,
    });
  }
  const digest = layers.find((layer) => layer.mediaType === "application/vnd.ollama.image.model")?.digest;
  const blob = digest ? join(root, "blobs", digest.replace(":", "-")) : undefined;
  if (!blob || !exists(blob))
    throw new ProviderError("model_not_found", `the model blob of ${model} is missing from ${root}/blobs`, {
      provider: "llama_cpp",
      retryable: false,
      hint: `pull it again with: ollama pull ${model}`,
    });
  return blob;
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** GGUF facts read from the file header only (no weights loaded). */
export interface GgufFacts {
  path: string;
  architecture?: string;
  contextLength?: number;
  parameterCount?: number;
  quantization?: string;
  sizeBytes: number;
  /** KV-cache bytes per token of context at f16. */
  kvBytesPerToken?: number;
}

interface GgufInfoShape {
  metadata?: { general?: { architecture?: string; file_type?: number } };
  architectureMetadata?: {
    context_length?: number;
    block_count?: number;
    embedding_length?: number;
    attention?: { head_count?: number; head_count_kv?: number };
  };
  tensorInfo?: Array<{ dimensions: Array<number | bigint> }>;
}

/** Reads context length, parameter count, quantization and KV size from a GGUF header (readGgufFileInfo). */
export async function readGgufFacts(module: NodeLlamaCppModule, path: string): Promise<GgufFacts> {
  const info = (await module.readGgufFileInfo(path, {
    readTensorInfo: true,
    logWarnings: false,
  })) as GgufInfoShape;
  const arch = info.architectureMetadata ?? {};
  const fileType = info.metadata?.general?.file_type;
  const parameterCount = info.tensorInfo?.reduce(
    (sum, tensor) => sum + tensor.dimensions.reduce<number>((product, dim) => product * Number(dim), 1),
    0,
  );
  const heads = arch.attention?.head_count;
  const kvHeads = arch.attention?.head_count_kv ?? heads;
  const kvBytesPerToken =
    arch.block_count && arch.embedding_length && heads && kvHeads
      ? 2 * arch.block_count * ((arch.embedding_length / heads) * kvHeads) * 2
      : undefined;
  const quantization =
    fileType !== undefined ? module.GgufFileType[fileType]?.replace(/^MOSTLY_/, "") : undefined;
  return {
    path,
    sizeBytes: statSync(path).size,
    ...(info.metadata?.general?.architecture ? { architecture: info.metadata.general.architecture } : {}),
    ...(arch.context_length ? { contextLength: arch.context_length } : {}),
    ...(parameterCount ? { parameterCount } : {}),
    ...(quantization ? { quantization } : {}),
    ...(kvBytesPerToken ? { kvBytesPerToken } : {}),
  };
}

/* The node-llama-cpp objects used here, typed structurally (the package is not a dependency). */
interface TokenMeter {
  usedInputTokens: number;
  usedOutputTokens: number;
}
interface Sequence {
  tokenMeter: TokenMeter;
  clearHistory(): Promise<void>;
}
interface Model {
  tokenize(text: string): unknown[];
  createContext(options: Record<string, unknown>): Promise<{ getSequence(): Sequence }>;
}
interface Llama {
  loadModel(options: Record<string, unknown>): Promise<Model>;
  createGrammarForJsonSchema(schema: unknown): Promise<unknown>;
}
interface ChatSession {
  setChatHistory(history: unknown[]): void;
  promptWithMeta(
    prompt: string,
    options: Record<string, unknown>,
  ): Promise<{ responseText: string; stopReason: string }>;
  dispose(options?: { disposeSequence?: boolean }): void;
}

interface Loaded {
  module: NodeLlamaCppModule;
  llama: Llama;
  model: Model;
  sequence: Sequence;
  facts: GgufFacts;
  contextSize: number;
  threads: number;
  loadMs: number;
  /** The tail of the serialisation chain. */
  queue: Promise<unknown>;
}

const loadedModels = new Map<string, Promise<Loaded>>();

/** The gpu option for getLlama: false for cpu/false, "auto" when unset or true, else the backend. */
function gpuOption(gpu: ProviderConfig["gpu"]): false | string {
  if (gpu === false || gpu === "cpu") return false;
  if (gpu === undefined || gpu === true) return "auto";
  return gpu;
}

/** A local GGUF model run in-process. */
export class LlamaCppProvider implements Provider {
  readonly type = "llama_cpp" as const;
  readonly local = true;
  private readonly env: Env;

  constructor(
    readonly name: string,
    private readonly config: ProviderConfig,
    runtime: ProviderRuntime,
  ) {
    this.env = runtime.env;
  }

  /** The GGUF file for `model` (see the module comment for the order). */
  modelPath(model: string): string {
    const { config } = this;
    if (config.model_path) {
      const path = config.model_path.replace(/^~(?=$|\/)/, this.env.HOME || homedir());
      return isAbsolute(path) ? path : resolve(path);
    }
    if (config.ollama_model) return ollamaBlobPath(config.ollama_model, this.env);
    if (model.endsWith(".gguf")) return resolve(model);
    return ollamaBlobPath(model, this.env);
  }

  private threads(): number {
    return this.config.threads ?? availableParallelism();
  }

  /** Loads the model once per process (weights + one context), after the memory check. */
  load(model: string): Promise<Loaded> {
    const path = this.modelPath(model);
    const gpu = gpuOption(this.config.gpu);
    const key = JSON.stringify([path, gpu, this.config.gpu_layers, this.config.context_size, this.threads()]);
    let loading = loadedModels.get(key);
    if (!loading) {
      loading = this.loadFresh(path, gpu);
      loadedModels.set(key, loading);
      loading.catch(() => loadedModels.delete(key));
    }
    return loading;
  }

  private async loadFresh(path: string, gpu: false | string): Promise<Loaded> {
    if (!exists(path))
      throw new ProviderError("model_not_found", `no GGUF file at ${path}`, {
        provider: this.name,
        retryable: false,
        hint: `set providers.${this.name}.model_path to a .gguf file, or ollama_model to a pulled Ollama model`,
      });
    const started = Date.now();
    const module = await loadNodeLlamaCpp(this.env);
    const facts = await readGgufFacts(module, path);
    const contextSize = this.config.context_size ?? Math.min(facts.contextLength ?? 4096, 8192);
    if (gpu === false) checkMemory(this.name, facts, contextSize, freemem());
    const llama = (await module.getLlama({ gpu, build: "never", logLevel: "error" })) as Llama;
    const model = await llama.loadModel({
      modelPath: path,
      ...(this.config.gpu_layers !== undefined ? { gpuLayers: this.config.gpu_layers } : {}),
    });
    const context = await model.createContext({ contextSize, threads: this.threads(), sequences: 1 });
    return {
      module,
      llama,
      model,
      sequence: context.getSequence(),
      facts,
      contextSize,
      threads: this.threads(),
      loadMs: Date.now() - started,
      queue: Promise.resolve(),
    };
  }

  /** Runs `work` after every earlier call on the same model (calls are serialised). */
  private serialised<T>(loaded: Loaded, work: () => Promise<T>): Promise<T> {
    const next = loaded.queue.then(work, work);
    loaded.queue = next.catch(() => undefined);
    return next;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    return this.run(request, () => {});
  }

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const parts: StreamPart[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let failure: unknown;
    const push = (part: StreamPart) => {
      parts.push(part);
      wake?.();
    };
    this.run(request, (text) => push({ type: "text-delta", text })).then(
      (result) => {
        push({ type: "usage", usage: result.usage });
        push({ type: "finish", result });
        done = true;
        wake?.();
      },
      (error: unknown) => {
        failure = error;
        done = true;
        wake?.();
      },
    );
    while (true) {
      const part = parts.shift();
      if (part) {
        yield part;
        continue;
      }
      if (done) break;
      await new Promise<void>((resolvePromise) => {
        wake = resolvePromise;
      });
      wake = undefined;
    }
    if (failure) throw failure;
  }

  private async run(request: GenerateRequest, onText: (text: string) => void): Promise<GenerateResult> {
    if (request.signal?.aborted) throw new AbortError();
    const loaded = await this.load(request.model);
    return this.serialised(loaded, async () => {
      if (request.signal?.aborted) throw new AbortError();
      const { sequence, module, llama } = loaded;
      const warnings: string[] = [];
      let grammar: unknown;
      if (request.jsonSchema) {
        try {
          // The answer must close within the output budget and within what the context has left.
          const prompt = [request.system, request.cachedContext, ...request.messages.map((m) => m.content)]
            .filter((text): text is string => Boolean(text))
            .reduce((sum, text) => sum + loaded.model.tokenize(text).length, 0);
          const room = loaded.contextSize - prompt - 32;
          const bounded = boundedSchema(
            request.jsonSchema,
            Math.max(16, Math.min(request.maxOutputTokens, room)),
          );
          grammar = await llama.createGrammarForJsonSchema(bounded);
        } catch (error) {
          warnings.push(
            `llama_cpp: the JSON schema could not become a grammar (${(error as Error).message}); output is unconstrained`,
          );
        }
      }
      await sequence.clearHistory();
      const system = [request.system, request.cachedContext].filter(Boolean).join("\n\n");
      const session = new module.LlamaChatSession({
        contextSequence: sequence,
        autoDisposeSequence: false,
      }) as ChatSession;
      const messages = request.messages;
      const last = messages.at(-1);
      const history: unknown[] = system ? [{ type: "system", text: system }] : [];
      for (const message of messages.slice(0, -1))
        history.push(
          message.role === "user"
            ? { type: "user", text: message.content }
            : { type: "model", response: [message.content] },
        );
      session.setChatHistory(history);
      const before = {
        input: sequence.tokenMeter.usedInputTokens,
        output: sequence.tokenMeter.usedOutputTokens,
      };
      const started = Date.now();
      const timeout = request.timeoutMs ? AbortSignal.timeout(request.timeoutMs) : undefined;
      const signals = [request.signal, timeout].filter((item): item is AbortSignal => item !== undefined);
      try {
        const answer = await session.promptWithMeta(last?.role === "user" ? last.content : "", {
          maxTokens: request.maxOutputTokens,
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(grammar ? { grammar } : {}),
          ...(signals.length ? { signal: AbortSignal.any(signals), stopOnAbortSignal: true } : {}),
          onTextChunk: onText,
        });
        if (request.signal?.aborted) throw new AbortError();
        if (timeout?.aborted)
          throw new ProviderError("timeout", `llama_cpp: no answer within ${request.timeoutMs} ms`, {
            provider: this.name,
            retryable: false,
          });
        const text = answer.responseText;
        let json: unknown;
        if (request.jsonSchema) {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        return {
          text,
          ...(json !== undefined ? { json } : {}),
          usage: {
            ...emptyUsage(),
            inputTokens: sequence.tokenMeter.usedInputTokens - before.input,
            outputTokens: sequence.tokenMeter.usedOutputTokens - before.output,
          },
          finishReason: answer.stopReason === "maxTokens" ? "length" : "stop",
          latencyMs: Date.now() - started,
          modelId: request.model,
          subscriptionMessages: 0,
          warnings,
        };
      } finally {
        session.dispose({ disposeSequence: false });
      }
    });
  }

  /** Exact prompt tokens from the model's own tokenizer (system, context and messages, no template). */
  async countTokens(request: GenerateRequest): Promise<number> {
    const loaded = await this.load(request.model);
    const texts = [
      request.system,
      request.cachedContext,
      ...request.messages.map((message) => message.content),
    ];
    return texts.reduce((sum, text) => sum + (text ? loaded.model.tokenize(text).length : 0), 0);
  }

  /** GGUF header facts; the weights are not loaded. */
  async capacity(model: string): Promise<Capacity> {
    const module = await loadNodeLlamaCpp(this.env);
    const facts = await readGgufFacts(module, this.modelPath(model));
    return {
      model,
      ...(facts.contextLength ? { contextLength: facts.contextLength } : {}),
      ...(facts.parameterCount
        ? { parameterCount: facts.parameterCount, parameterSize: parameterSize(facts.parameterCount) }
        : {}),
      ...(facts.quantization ? { quantization: facts.quantization } : {}),
      ...(facts.architecture ? { family: facts.architecture } : {}),
      ...(facts.kvBytesPerToken ? { kvBytesPerToken: facts.kvBytesPerToken } : {}),
      sizeBytes: facts.sizeBytes,
      ...(this.config.context_size ? { loadedContextLength: this.config.context_size } : {}),
    };
  }

  async listModels(): Promise<ModelInfo[]> {
    const path = this.modelPath(this.config.ollama_model ?? this.config.model_path ?? "");
    const capacity = await this.capacity(path);
    return [
      {
        id: this.config.ollama_model ?? path,
        ...(capacity.contextLength ? { contextLength: capacity.contextLength } : {}),
        ...(capacity.parameterCount ? { parameterCount: capacity.parameterCount } : {}),
        ...(capacity.quantization ? { quantization: capacity.quantization } : {}),
        ...(capacity.family ? { family: capacity.family } : {}),
        ...(capacity.sizeBytes ? { sizeBytes: capacity.sizeBytes } : {}),
      },
    ];
  }

  async health(): Promise<HealthStatus> {
    const status = llamaCppStatus(this.env);
    if (!status.installed)
      return {
        ok: false,
        reachable: false,
        message: `the llama_cpp runtime (node-llama-cpp) is not installed in ${status.dir}`,
        hint: "run: hierocode local install",
      };
    return {
      ok: true,
      reachable: true,
      message: `node-llama-cpp ${status.version ?? "?"} (${status.backend ?? "backend unknown"}) in ${status.dir}`,
      ...(status.version ? { version: status.version } : {}),
    };
  }
}

/**
 * The schema with every unbounded string given a `maxLength` and every unbounded array a
 * `maxItems` (3; 1 below 800 tokens), so grammar-constrained JSON closes within `maxOutputTokens`
 * (a token covers at least one character): half the budget shared by the string slots, the other
 * half left for keys and punctuation.
 * Without it a small model fills one string until the token limit and the JSON never closes.
 */
export function boundedSchema(schema: JsonSchema, maxOutputTokens: number): JsonSchema {
  const itemCap = Math.max(1, Math.min(3, Math.floor(maxOutputTokens / 400)));
  const slots = (node: unknown): number => {
    if (!node || typeof node !== "object") return 0;
    const value = node as Record<string, unknown>;
    if (value.type === "string" && value.enum === undefined && value.const === undefined) return 1;
    if (value.type === "array")
      return Math.min(Number(value.maxItems ?? itemCap), itemCap) * slots(value.items);
    if (value.properties)
      return Object.values(value.properties as Record<string, unknown>).reduce<number>(
        (sum, child) => sum + slots(child),
        0,
      );
    return 0;
  };
  const perString = Math.max(2, Math.floor((0.5 * maxOutputTokens) / Math.max(1, slots(schema))));
  const bound = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(bound);
    if (!node || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) out[key] = bound(child);
    if (out.type === "string" && out.enum === undefined && out.const === undefined)
      out.maxLength = Math.min(Number(out.maxLength ?? perString), perString);
    if (out.type === "array") out.maxItems = Math.min(Number(out.maxItems ?? itemCap), itemCap);
    return out;
  };
  return bound(schema) as JsonSchema;
}

/** 7.6B, 350M, 1.2K: the parameter count as model cards write it. */
export function parameterSize(count: number): string {
  const [unit, size] = count >= 1e9 ? ["B", 1e9] : count >= 1e6 ? ["M", 1e6] : ["K", 1e3];
  return `${(count / (size as number)).toFixed(1)}${unit}`;
}

/**
 * Refuses (ProviderError `unavailable`, exit 4) when weights plus the KV cache for `contextSize`
 * exceed `freeBytes`, with the figures.
 */
export function checkMemory(
  provider: string,
  facts: GgufFacts,
  contextSize: number,
  freeBytes: number,
): void {
  const kv = (facts.kvBytesPerToken ?? 0) * contextSize;
  const need = facts.sizeBytes + kv;
  if (need <= freeBytes) return;
  throw new ProviderError(
    "unavailable",
    `not enough free memory to load ${facts.path}: weights ${formatBytes(facts.sizeBytes)} + KV cache ${formatBytes(kv)} (context ${contextSize} tokens) = ${formatBytes(need)}, free ${formatBytes(freeBytes)}`,
    {
      provider,
      retryable: false,
      hint: `lower providers.${provider}.context_size, close other programs, or use a smaller quantization`,
    },
  );
}
