/**
 * The worker bridge (HACO §6, §10): one prompt in, one clean artifact out, from the drafter
 * model. It never writes files; the supervisor reviews and integrates. Returns a result object
 * instead of throwing so service wrappers get `{ok, output, error, model, timing}` every time.
 */
import { SecretVault } from "../checks/redact.js";
import { type HierocodeConfig, providerSchema } from "../config/schema.js";
import {
  AbortError,
  ContextOverflowError,
  describeError,
  ExitCode,
  HierocodeError,
  isAbortLike,
  ModelOutputError,
  ProviderError,
  UsageError,
} from "../errors.js";
import { chooseNumCtx, type HostMemory } from "../pipeline/capacity.js";
import { measurePrompt } from "../pipeline/model-call.js";
import { normalizeOllamaModel } from "../providers/ollama.js";
import { createProvider } from "../providers/registry.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import type { ChatMessage, Provider } from "../providers/spec.js";
import { cleanArtifact, formatInstruction, type WorkerFormat } from "../supervisor/clean-artifact.js";
import { tokenCounterFor } from "../tokens/index.js";

export const workerSystemPrompt =
  "You are a code implementation worker. Output only the requested artifact: no greetings, no explanations, no summaries unless the task explicitly asks for them.";

export interface WorkerRequest {
  prompt: string;
  format: WorkerFormat;
  provider: Provider;
  model: string;
  /** Hard limit for one model call. */
  timeoutMs: number;
  /** Extra attempts after a timeout, a broken stream or malformed diff/SEARCH-REPLACE output. */
  retries: number;
  maxOutputTokens: number;
  /** Load the model before the call (Ollama keeps it resident for `keepAlive`). */
  warm?: boolean;
  keepAlive?: string;
  signal?: AbortSignal;
  now?: () => number;
  /** Host memory for the KV-cache cap of `num_ctx` (Ollama); without it the window alone caps. */
  memory?: HostMemory;
  /** The provider config's pinned `num_ctx`. */
  pinnedNumCtx?: number;
  /**
   * Secrets (auth-looking env values, `policy.send_secret_files`): a provider that is not local
   * gets the prompt redacted with it and the artifact has the placeholders put back. Without it a
   * remote call is still redacted by the rule set and credential shapes alone.
   */
  vault?: SecretVault;
}

/**
 * The context a worker call uses, probed like the pipeline does (issue 9): Ollama — one
 * `num_ctx` from the model's window, memory and a loaded runner (so warming and the call share
 * it); other backends — the window they report. Undefined when the backend tells nothing.
 */
async function workerContext(
  request: WorkerRequest,
): Promise<{ numCtx?: number; window?: number; family?: string }> {
  if (!request.provider.capacity) return {};
  let capacity: Awaited<ReturnType<NonNullable<typeof request.provider.capacity>>>;
  try {
    capacity = await request.provider.capacity(
      request.model,
      request.signal ? { signal: request.signal } : {},
    );
  } catch (error) {
    if (error instanceof ProviderError && error.kind === "model_not_found") throw error;
    if (request.signal?.aborted) throw error;
    return {};
  }
  const family = capacity.family;
  if (request.provider.type === "ollama") {
    const memory = request.memory ?? { totalRamBytes: Number.POSITIVE_INFINITY, vramBytes: 0 };
    const chosen = chooseNumCtx(capacity, {
      memory,
      ...(request.pinnedNumCtx ? { pinned: request.pinnedNumCtx } : {}),
      minimum: 2048,
    });
    return {
      numCtx: chosen.numCtx,
      ...(capacity.contextLength !== undefined ? { window: capacity.contextLength } : {}),
      ...(family ? { family } : {}),
    };
  }
  return {
    ...(capacity.contextLength !== undefined ? { window: capacity.contextLength } : {}),
    ...(family ? { family } : {}),
  };
}

export interface WorkerTiming {
  total_ms: number;
  check_ms: number;
  warm_ms?: number;
  generate_ms: number;
  attempts: number;
}

export interface WorkerResult {
  ok: boolean;
  output: string;
  error?: string;
  model: string;
  provider: string;
  timing: WorkerTiming;
  /** The typed failure, for the CLI's exit code; not part of the JSON contract. */
  failure?: HierocodeError;
}

/** The exact message HACO's bridge prints when a model is missing. */
export function modelNotFoundMessage(model: string): string {
  return `model '${model}' not found. Run: ollama pull ${model}`;
}

function modelMissing(model: string, provider: string): ProviderError {
  return new ProviderError("model_not_found", modelNotFoundMessage(model), { provider, retryable: false });
}

/** Fails fast (HACO §12.2) when a local Ollama does not have the model, instead of a slow 404 later. */
async function ensureModelPresent(request: WorkerRequest): Promise<void> {
  if (request.provider.type !== "ollama") return;
  const models = await request.provider.listModels(request.signal ? { signal: request.signal } : {});
  const wanted = normalizeOllamaModel(request.model);
  if (!models.some((model) => normalizeOllamaModel(model.id) === wanted)) {
    throw modelMissing(request.model, request.provider.name);
  }
}

/** Ollama loads a model when asked to chat with no messages; other backends need no warming. */
export async function warmModel(
  request: Pick<WorkerRequest, "provider" | "model" | "keepAlive" | "signal" | "timeoutMs"> & {
    /** Load with the context the call will use, so the call does not reload the runner. */
    numCtx?: number;
  },
): Promise<boolean> {
  if (request.provider.type !== "ollama") return false;
  await request.provider.generate({
    model: request.model,
    messages: [],
    maxOutputTokens: 1,
    ...(request.numCtx ? { numCtx: request.numCtx } : {}),
    timeoutMs: request.timeoutMs,
    keepAlive: request.keepAlive ?? "10m",
    ...(request.signal ? { signal: request.signal } : {}),
  });
  return true;
}

function retryable(error: unknown): boolean {
  if (error instanceof ModelOutputError) return true;
  return (
    error instanceof ProviderError &&
    (error.isRetryable || error.kind === "timeout" || error.kind === "stream")
  );
}

function asHierocodeError(error: unknown, request: WorkerRequest): HierocodeError {
  if (error instanceof ProviderError && error.kind === "model_not_found")
    return modelMissing(request.model, error.provider);
  if (error instanceof HierocodeError) return error;
  if (isAbortLike(error)) return new AbortError();
  return new HierocodeError("internal", describeError(error), ExitCode.internal);
}

export async function runWorker(request: WorkerRequest): Promise<WorkerResult> {
  const now = request.now ?? Date.now;
  const started = now();
  const timing: WorkerTiming = { total_ms: 0, check_ms: 0, generate_ms: 0, attempts: 0 };
  const finish = (result: Omit<WorkerResult, "model" | "provider" | "timing">): WorkerResult => ({
    ...result,
    model: request.model,
    provider: request.provider.name,
    timing: { ...timing, total_ms: now() - started },
  });

  try {
    await ensureModelPresent(request);
    const context = await workerContext(request);
    timing.check_ms = now() - started;
    const system = `${workerSystemPrompt}\n${formatInstruction(request.format)}`;
    // A remote model sees what the pipeline's remote roles see: secrets as placeholders.
    const vault = request.provider.local ? undefined : (request.vault ?? new SecretVault());
    const messages: ChatMessage[] = [
      { role: "user", content: vault ? vault.redact(request.prompt) : request.prompt },
    ];
    const limit = context.numCtx ?? context.window;
    if (limit !== undefined && request.prompt.trim()) {
      // The model's own tokenizer where known; never send what the window would silently cut.
      const counter = tokenCounterFor(request.model, context.family);
      const promptTokens = measurePrompt(
        { model: request.model, system, messages, maxOutputTokens: request.maxOutputTokens },
        counter,
      );
      const over = promptTokens + request.maxOutputTokens - limit;
      if (over > 0) {
        throw new ContextOverflowError(
          `the prompt (${promptTokens} tokens) plus the output budget (${request.maxOutputTokens}) exceeds the context of ${request.model} (${context.numCtx !== undefined ? `num_ctx ${limit}` : `window ${limit}`}) by ${over} tokens; nothing was sent`,
          {
            hint: "shorten the prompt, lower --max-tokens, or use a model with a larger window",
            details: { promptTokens, maxOutputTokens: request.maxOutputTokens, numCtx: limit },
          },
        );
      }
    }
    if (request.warm) {
      const warmStart = now();
      await warmModel({ ...request, ...(context.numCtx ? { numCtx: context.numCtx } : {}) });
      timing.warm_ms = now() - warmStart;
    }
    if (!request.prompt.trim()) return finish({ ok: true, output: "" });

    const generateStart = now();
    for (let attempt = 0; ; attempt++) {
      timing.attempts = attempt + 1;
      try {
        const result = await request.provider.generate({
          model: request.model,
          system,
          messages,
          maxOutputTokens: request.maxOutputTokens,
          temperature: 0,
          timeoutMs: request.timeoutMs,
          ...(context.numCtx ? { numCtx: context.numCtx } : {}),
          ...(request.keepAlive ? { keepAlive: request.keepAlive } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
        });
        // A reply cut at the output budget is never passed off as the artifact (README: truncated,
        // never success); the same budget would cut it again, so it is not retried.
        if (result.finishReason === "length")
          throw new ProviderError(
            "truncated",
            `${request.model}'s reply was cut off at ${request.maxOutputTokens} output tokens; nothing printed`,
            {
              provider: request.provider.name,
              retryable: false,
              hint: "raise the output budget (hierocode worker --max-tokens N) or ask for a smaller change",
            },
          );
        try {
          const output = cleanArtifact(vault ? vault.restore(result.text) : result.text, request.format);
          timing.generate_ms = now() - generateStart;
          return finish({ ok: true, output });
        } catch (error) {
          // show the model its own reply and what was wrong with it, once per retry
          if (error instanceof ModelOutputError && attempt < request.retries) {
            messages.push(
              { role: "assistant", content: result.text },
              { role: "user", content: `${error.message}. ${formatInstruction(request.format)}` },
            );
          }
          throw error;
        }
      } catch (error) {
        if (attempt >= request.retries || !retryable(error) || request.signal?.aborted) throw error;
      }
    }
  } catch (error) {
    const failure = asHierocodeError(error, request);
    return finish({ ok: false, output: "", error: failure.message, failure });
  }
}

/**
 * The worker's model and provider: `model` (a flag or request field), else HACO_WORKER_MODEL,
 * else routing.drafter; the provider named, else the drafter's, else default_provider, else a
 * local Ollama. Shared by `hierocode worker` and the service's POST /v1/worker.
 * @throws UsageError when no model is configured or the provider is unknown.
 */
export function resolveWorkerBinding(
  config: HierocodeConfig,
  env: Record<string, string | undefined>,
  runtime: ProviderRuntime,
  choice: { model?: string | undefined; provider?: string | undefined; keepAlive?: string | undefined } = {},
): { provider: Provider; model: string; keepAlive?: string; pinnedNumCtx?: number } {
  const drafter = config.routing.drafter;
  const model = choice.model ?? env.HACO_WORKER_MODEL ?? drafter?.model;
  if (!model) {
    throw new UsageError("no worker model configured", {
      hint: "set routing.drafter in ~/.hierocode.yaml (hierocode init), HACO_WORKER_MODEL, or pass --model",
    });
  }
  const name = choice.provider ?? drafter?.provider ?? config.default_provider ?? "ollama";
  const providerConfig =
    config.providers[name] ?? (name === "ollama" ? providerSchema.parse({ type: "ollama" }) : undefined);
  if (!providerConfig) {
    throw new UsageError(`unknown provider "${name}"`, {
      hint: `known: ${Object.keys(config.providers).join(", ") || "none"}`,
    });
  }
  const keepAlive = choice.keepAlive ?? providerConfig.keep_alive;
  return {
    provider: createProvider(name, providerConfig, runtime),
    model,
    ...(keepAlive ? { keepAlive } : {}),
    ...(providerConfig.num_ctx ? { pinnedNumCtx: providerConfig.num_ctx } : {}),
  };
}
