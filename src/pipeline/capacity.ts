/**
 * The drafter's capability profile: how much it can read and write per unit. The context window
 * actually allocated (`num_ctx`, sent with every Ollama call) is what the budget uses, never the
 * trained maximum — Ollama silently truncates prompts beyond what it allocated.
 */
import type { Capacity, Provider } from "../providers/spec.js";
import { parseParameterSize } from "../system/resources.js";

export type TierName = "micro" | "narrow" | "standard" | "capable" | "strong";

export interface TierLimits {
  name: TierName;
  maxOutputTokens: number;
  maxFilesPerUnit: number;
  /** Files up to this many tokens are rewritten whole; larger ones get SEARCH/REPLACE. */
  wholeFileMaxTokens: number;
}

export const tiers: Record<TierName, TierLimits> = {
  micro: {
    name: "micro",
    maxOutputTokens: 1024,
    maxFilesPerUnit: 1,
    wholeFileMaxTokens: Number.POSITIVE_INFINITY,
  },
  narrow: { name: "narrow", maxOutputTokens: 1536, maxFilesPerUnit: 1, wholeFileMaxTokens: 600 },
  standard: { name: "standard", maxOutputTokens: 2048, maxFilesPerUnit: 2, wholeFileMaxTokens: 500 },
  capable: { name: "capable", maxOutputTokens: 4096, maxFilesPerUnit: 3, wholeFileMaxTokens: 400 },
  strong: { name: "strong", maxOutputTokens: 8192, maxFilesPerUnit: 4, wholeFileMaxTokens: 400 },
};

const order: TierName[] = ["micro", "narrow", "standard", "capable", "strong"];

export interface HostMemory {
  totalRamBytes: number;
  /** Largest GPU memory (unified memory on Apple Silicon), 0 when none. */
  vramBytes: number;
}

export interface CapacityProfile {
  provider: string;
  model: string;
  local: boolean;
  /** The model's real (trained/served) window, when the backend told us. */
  contextLength?: number;
  /** The window we allocate and budget against. */
  numCtx: number;
  parameterCount?: number;
  quantization?: string;
  tier: TierName;
  maxInputTokens: number;
  maxOutputTokens: number;
  maxFilesPerUnit: number;
  wholeFileMaxTokens: number;
  notes: string[];
}

function tierFromParameters(count: number | undefined, local: boolean): TierName {
  if (count === undefined) return local ? "standard" : "strong";
  const billions = count / 1e9;
  if (billions < 2) return "micro";
  if (billions < 4) return "narrow";
  if (billions < 10) return "standard";
  if (billions < 30) return "capable";
  return "strong";
}

function tierFromContext(numCtx: number): TierName {
  if (numCtx < 4096) return "micro";
  if (numCtx < 8192) return "narrow";
  if (numCtx < 16384) return "standard";
  if (numCtx < 32768) return "capable";
  return "strong";
}

/**
 * The stable steps `num_ctx` is rounded to. Every value sent to one Ollama model in a run is the
 * same, and back-to-back runs land on the same step, because Ollama reloads a model's runner
 * whenever a request's `num_ctx` differs from the loaded one's (server/sched.go `needsReload`).
 */
export const numCtxSteps = [2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144] as const;

/** The largest step not above `tokens` (2048 at least). */
export function roundDownToStep(tokens: number): number {
  let chosen: number = numCtxSteps[0];
  for (const step of numCtxSteps) if (step <= tokens) chosen = step;
  return chosen;
}

/**
 * The window a local server can afford: the KV cache grows with it and must fit in memory.
 * With the model's KV size per token (from /api/show: layers × KV heads × (key + value length)
 * × 2 bytes at f16) and its weights' size, the cap is what fits in 3/4 of the larger of VRAM and
 * RAM after the weights; otherwise a coarse table by memory size.
 */
function memoryContextCap(memory: HostMemory, capacity: Capacity): number {
  const bytes = Math.max(memory.vramBytes, memory.totalRamBytes);
  if (capacity.kvBytesPerToken && capacity.kvBytesPerToken > 0 && bytes > 0) {
    const free = bytes * 0.75 - (capacity.sizeBytes ?? 0);
    return Math.max(numCtxSteps[0], roundDownToStep(Math.floor(free / capacity.kvBytesPerToken)));
  }
  const gib = bytes / 1024 ** 3;
  if (gib < 8) return 4096;
  if (gib < 16) return 8192;
  if (gib < 32) return 16384;
  return 32768;
}

/**
 * One `num_ctx` for a local model for a whole run: the largest step that the model's window and
 * the host's KV-cache memory allow; a loaded runner's context (from /api/ps) when it is within
 * the window and at least `minimum` (so a back-to-back run does not reload); a pinned value
 * (config `num_ctx` / `--num-ctx`) wins but never exceeds the window.
 */
export function chooseNumCtx(
  capacity: Capacity,
  options: { memory: HostMemory; pinned?: number; minimum?: number },
): { numCtx: number; notes: string[] } {
  const notes: string[] = [];
  const window = capacity.contextLength;
  if (options.pinned) {
    if (window !== undefined && options.pinned > window) {
      notes.push(`num_ctx ${options.pinned} is above the model's window; using ${window}`);
      return { numCtx: window, notes };
    }
    return { numCtx: options.pinned, notes };
  }
  const cap = memoryContextCap(options.memory, capacity);
  const ceiling = Math.min(window ?? 8192, cap);
  let numCtx = window !== undefined && window < numCtxSteps[0] ? window : roundDownToStep(ceiling);
  if (window === undefined) notes.push("the server did not report a context window; assuming 8192");
  else if (window > cap)
    notes.push(`context limited to ${numCtx} tokens by host memory (model supports ${window})`);
  const loaded = capacity.loadedContextLength;
  const minimum = Math.min(options.minimum ?? 8192, numCtx);
  if (loaded !== undefined && loaded !== numCtx && loaded >= minimum && loaded <= (window ?? loaded)) {
    notes.push(`reusing the loaded runner's context (${loaded} tokens) so Ollama does not reload the model`);
    numCtx = loaded;
  }
  return { numCtx, notes };
}

export function profileFromCapacity(
  capacity: Capacity,
  options: {
    provider: string;
    local: boolean;
    memory: HostMemory;
    exactTokens?: boolean;
    numCtxOverride?: number;
  },
): CapacityProfile {
  const notes: string[] = [];
  const parameterCount = capacity.parameterCount ?? parseParameterSize(capacity.parameterSize);
  const trained = capacity.contextLength;
  let numCtx: number;
  if (options.local) {
    const chosen = chooseNumCtx(capacity, {
      memory: options.memory,
      ...(options.numCtxOverride ? { pinned: options.numCtxOverride } : {}),
    });
    numCtx = chosen.numCtx;
    notes.push(...chosen.notes);
  } else if (options.numCtxOverride) {
    numCtx = trained !== undefined ? Math.min(options.numCtxOverride, trained) : options.numCtxOverride;
  } else {
    numCtx = trained ?? 128_000;
  }
  const parameterTier = tierFromParameters(parameterCount, options.local);
  const contextTier = tierFromContext(numCtx);
  const tier = order[Math.min(order.indexOf(parameterTier), order.indexOf(contextTier))] as TierName;
  const limits = tiers[tier];
  const maxOutputTokens = Math.min(limits.maxOutputTokens, Math.floor(numCtx / 4));
  // chars/4 counting is rough: keep a 20% margin unless the tokenizer is the model's own.
  const margin = options.exactTokens ? 0.95 : 0.8;
  const maxInputTokens = Math.max(256, Math.floor((numCtx - maxOutputTokens) * margin));
  return {
    provider: options.provider,
    model: capacity.model,
    local: options.local,
    ...(trained !== undefined ? { contextLength: trained } : {}),
    numCtx,
    ...(parameterCount !== undefined ? { parameterCount } : {}),
    ...(capacity.quantization ? { quantization: capacity.quantization } : {}),
    tier,
    maxInputTokens,
    maxOutputTokens,
    maxFilesPerUnit: limits.maxFilesPerUnit,
    wholeFileMaxTokens: limits.wholeFileMaxTokens,
    notes,
  };
}

/** Asks the drafter's backend for the model's window and size (free calls), then derives the profile. */
export async function probeCapacity(
  provider: Provider,
  model: string,
  options: { memory: HostMemory; exactTokens?: boolean; numCtxOverride?: number; signal?: AbortSignal },
): Promise<CapacityProfile> {
  let capacity: Capacity = { model };
  const notes: string[] = [];
  if (provider.capacity) {
    try {
      capacity = await provider.capacity(model, options.signal ? { signal: options.signal } : {});
    } catch (error) {
      if (options.signal?.aborted) throw error;
      notes.push(`capacity probe failed (${(error as Error).message.split("\n")[0]}); using defaults`);
    }
  }
  const profile = profileFromCapacity(capacity, {
    provider: provider.name,
    local: provider.local,
    memory: options.memory,
    ...(options.exactTokens !== undefined ? { exactTokens: options.exactTokens } : {}),
    ...(options.numCtxOverride !== undefined ? { numCtxOverride: options.numCtxOverride } : {}),
  });
  profile.notes.unshift(...notes);
  return profile;
}

export function describeProfile(profile: CapacityProfile): string {
  const size = profile.parameterCount
    ? `${(profile.parameterCount / 1e9).toFixed(1)}B params`
    : "size unknown";
  return `${profile.model} (${size}${profile.quantization ? `, ${profile.quantization}` : ""}): tier ${profile.tier}, context ${profile.numCtx} tokens, up to ${profile.maxInputTokens} input / ${profile.maxOutputTokens} output tokens and ${profile.maxFilesPerUnit} file(s) per unit`;
}
