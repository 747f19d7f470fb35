/**
 * Worker-count suggestions (safe / balanced / aggressive) from cores, memory and the drafter's
 * size. Local parallelism is bounded by memory: the weights load once, but every parallel slot
 * needs its own KV cache for the context window. On CPU-only hosts decoding is compute-bound, so
 * extra slots buy little beyond a couple of cores each.
 */
import type { HostResources } from "../system/resources.js";

export interface DrafterFootprint {
  model: string;
  /** Bytes of the weights on disk (Ollama /api/tags size) when known. */
  weightBytes?: number;
  parameterCount?: number;
  /** Context window each slot is sized for (num_ctx). */
  contextTokens: number;
}

export interface WorkerSuggestion {
  strategy: "safe" | "balanced" | "aggressive";
  localWorkers: number;
  remoteWorkers: number;
}

export interface WorkerSuggestions {
  suggestions: WorkerSuggestion[];
  memorySlots: number;
  memoryBudgetBytes: number;
  kvBytesPerSlot: number;
  weightBytes: number;
  usesGpu: boolean;
  notes: string[];
}

const GiB = 1024 ** 3;

/** Rough KV-cache size per token: ~16 KiB per billion parameters (GQA models in fp16). */
export function kvBytesPerToken(parameterCount: number): number {
  return Math.max(4 * 1024, (parameterCount / 1e9) * 16 * 1024);
}

/** Bytes of weights when only the parameter count is known (Q4 ≈ 0.6 bytes per parameter). */
export function estimateWeightBytes(parameterCount: number): number {
  return parameterCount * 0.6;
}

export function suggestWorkers(host: HostResources, drafter?: DrafterFootprint): WorkerSuggestions {
  const notes: string[] = [];
  const parameterCount = drafter?.parameterCount ?? 3e9;
  const weightBytes = drafter?.weightBytes ?? estimateWeightBytes(parameterCount);
  const contextTokens = drafter?.contextTokens ?? 8192;
  const kvBytesPerSlot = kvBytesPerToken(parameterCount) * contextTokens;
  const vram = host.gpus.reduce((sum, gpu) => sum + gpu.vramBytes, 0);
  const usesGpu = vram > 0 && vram >= weightBytes;
  // Keep a quarter of system RAM (or 10% of VRAM) for everything else.
  const memoryBudgetBytes = usesGpu ? vram * 0.9 : host.totalRamBytes * 0.75;
  const memorySlots = Math.max(0, Math.floor((memoryBudgetBytes - weightBytes) / kvBytesPerSlot));
  if (!drafter) notes.push("no drafter model known: assumed a 3B model at 8k context");
  if (memorySlots === 0) {
    notes.push(
      `the drafter (${(weightBytes / GiB).toFixed(1)} GiB) barely fits in ${(memoryBudgetBytes / GiB).toFixed(1)} GiB: use 1 worker or a smaller model`,
    );
  }
  if (!usesGpu)
    notes.push("no GPU large enough for the drafter: CPU decoding, so parallel slots share the cores");
  const computeCap = (share: number) =>
    usesGpu ? Math.max(1, Math.round(4 * share)) : Math.max(1, Math.floor((host.cpuCount * share) / 2));
  const clamp = (wanted: number) => Math.max(1, Math.min(wanted, Math.max(1, memorySlots)));
  const suggestions: WorkerSuggestion[] = [
    { strategy: "safe", localWorkers: 1, remoteWorkers: 4 },
    { strategy: "balanced", localWorkers: clamp(computeCap(1 / 2)), remoteWorkers: 8 },
    { strategy: "aggressive", localWorkers: clamp(computeCap(1)), remoteWorkers: 16 },
  ];
  notes.push(
    "Ollama runs requests in parallel only up to OLLAMA_NUM_PARALLEL: start it with at least the local worker count",
  );
  return { suggestions, memorySlots, memoryBudgetBytes, kvBytesPerSlot, weightBytes, usesGpu, notes };
}
