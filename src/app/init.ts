/**
 * `hierocode init`: the minimal all-Ollama config (degraded mode), and the wizard that detects
 * the planner paths (claude / codex logged in, API keys), local servers and their models, RAM and
 * GPU, then builds a tailored config. Detection never spends money.
 */
import { detectClaude, detectCodex } from "../providers/cli-detect.js";
import { llamaCppStatus } from "../providers/llama-cpp-runtime.js";
import { lmStudioBaseUrl } from "../providers/lmstudio.js";
import { ollamaBaseUrl } from "../providers/ollama.js";
import { createProvider } from "../providers/registry.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import type { ModelInfo } from "../providers/spec.js";
import { GiB, type HostResources, parseParameterSize } from "../system/resources.js";
import { findGgufFiles, type GgufFile } from "./gguf-scan.js";
import { looksLikeCoder, looksLikeEmbedding } from "./model-names.js";

type Plain = Record<string, unknown>;

export const defaultDrafterModel = "llama3.2:3b";

/** Where the wizard looks for Ollama: `OLLAMA_HOST` (may be a bare host:port) or the default. */
export function wizardOllamaUrl(env: Record<string, string | undefined>): string {
  return ollamaBaseUrl({ type: "ollama", auth: { type: "none" } }, env);
}

const basePolicy = { max_revisions_per_unit: 2, max_escalations_per_task: 3, warn_before_escalation: true };
const baseParallel = { default_strategy: "balanced", max_local_workers: 4, max_remote_workers: 8 };

/** The seed's minimal config: every role on local Ollama with llama3.2:3b (degraded mode). */
export function minimalConfig(_env: Record<string, string | undefined>): Plain {
  const binding = { provider: "local_ollama", model: defaultDrafterModel };
  return {
    default_provider: "local_ollama",
    // No base_url: OLLAMA_HOST (or the default) stays in charge until the user names a URL.
    providers: { local_ollama: { type: "ollama", auth: { type: "none" } } },
    routing: { planner: binding, drafter: binding, reviewer: binding },
    policy: basePolicy,
    parallelization: baseParallel,
  };
}

/** The seed's RAM table: which drafter to recommend, and the largest size that fits. */
export function recommendedDrafter(totalRamBytes: number): { model: string; maxParameters: number } {
  // Machines report a little less than their nominal size (a 24 GB machine shows ~23.5 GiB).
  const gib = Math.round(totalRamBytes / GiB);
  if (gib <= 12) return { model: "llama3.2:1b", maxParameters: 1.5e9 };
  if (gib < 24) return { model: "llama3.2:3b", maxParameters: 4e9 };
  if (gib < 48) return { model: "qwen2.5-coder:7b", maxParameters: 9e9 };
  return { model: "qwen2.5-coder:14b", maxParameters: 16e9 };
}

export interface LocalServer {
  url: string;
  reachable: boolean;
  models: ModelInfo[];
  message: string;
}

export interface Detection {
  claude: Awaited<ReturnType<typeof detectClaude>>;
  codex: Awaited<ReturnType<typeof detectCodex>>;
  anthropicKey: boolean;
  openaiKey: boolean;
  ollama: LocalServer;
  lmstudio: LocalServer;
  host: HostResources;
  /** GGUF files found on disk (src/app/gguf-scan.ts), offered as an in-process drafter. */
  gguf?: GgufFile[];
  /** Whether node-llama-cpp is installed (`hierocode local install`). */
  llamaCppInstalled?: boolean;
}

async function probeServer(
  type: "ollama" | "lmstudio",
  url: string,
  runtime: ProviderRuntime,
  timeoutMs: number,
): Promise<LocalServer> {
  const provider = createProvider(type, { type, base_url: url, auth: { type: "none" } }, runtime);
  try {
    const health = await provider.health({ signal: AbortSignal.timeout(timeoutMs) });
    if (!health.reachable) return { url, reachable: false, models: [], message: health.message };
    const models = await provider.listModels({ signal: AbortSignal.timeout(timeoutMs) });
    return { url, reachable: true, models, message: health.message };
  } catch (error) {
    return { url, reachable: false, models: [], message: (error as Error).message };
  }
}

export async function detectEnvironment(options: {
  env: Record<string, string | undefined>;
  runtime: ProviderRuntime;
  host: HostResources;
  timeoutMs?: number;
}): Promise<Detection> {
  const { env, runtime } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const [claude, codex, ollama, lmstudio] = await Promise.all([
    detectClaude(env),
    detectCodex(env),
    probeServer("ollama", wizardOllamaUrl(env), runtime, timeoutMs),
    probeServer("lmstudio", lmStudioBaseUrl(env), runtime, timeoutMs),
  ]);
  return {
    claude,
    codex,
    anthropicKey: Boolean(env.ANTHROPIC_API_KEY),
    openaiKey: Boolean(env.OPENAI_API_KEY),
    ollama,
    lmstudio,
    host: options.host,
    gguf: findGgufFiles(env),
    llamaCppInstalled: llamaCppStatus(env).installed,
  };
}

export interface DrafterChoice {
  /** `gguf`: a GGUF file run in-process (`type: llama_cpp`), from `modelPath` or `ollamaModel`. */
  provider: "local_ollama" | "lmstudio" | "gguf";
  model: string;
  pulled: boolean;
  reason: string;
  modelPath?: string;
  ollamaModel?: string;
}

/** The wizard's drafter choice for a GGUF file found on disk (an Ollama blob by its model name). */
export function ggufDrafterChoice(file: GgufFile): DrafterChoice {
  const size = `${(file.sizeBytes / GiB).toFixed(1)} GiB`;
  return file.ollamaModel
    ? {
        provider: "gguf",
        model: file.ollamaModel,
        pulled: true,
        reason: `GGUF blob Ollama pulled, ${size}: run in-process (llama_cpp)`,
        ollamaModel: file.ollamaModel,
      }
    : {
        provider: "gguf",
        model: file.label,
        pulled: true,
        reason: `GGUF file in ${file.source}, ${size}: run in-process (llama_cpp)`,
        modelPath: file.path,
      };
}

function parameterCountOf(model: ModelInfo): number | undefined {
  return (
    model.parameterCount ??
    parseParameterSize(model.parameterSize) ??
    parseParameterSize(/:(\d+(?:\.\d+)?[bm])\b/i.exec(model.id)?.[1])
  );
}

/**
 * Prefers an already-pulled model that fits the host over recommending a download. A pulled
 * model fits when its weights take at most 35% of RAM (CPU inference, leaving room for the KV
 * cache, the OS and the user's own work) or 85% of VRAM; the RAM table only picks downloads.
 */
export function chooseDrafter(detection: Detection): DrafterChoice {
  const recommendation = recommendedDrafter(detection.host.totalRamBytes);
  const vram = detection.host.gpus.reduce((sum, gpu) => sum + gpu.vramBytes, 0);
  const weightBudget = Math.max(detection.host.totalRamBytes * 0.35, vram * 0.85);
  const candidates = (server: LocalServer, provider: DrafterChoice["provider"]) =>
    server.models
      .filter((model) => !looksLikeEmbedding(model.id))
      .map((model) => {
        const parameters = parameterCountOf(model) ?? 0;
        // Weights on disk when the server says; ≈0.6 bytes per parameter at Q4 otherwise.
        const weightBytes = model.sizeBytes ?? parameters * 0.6;
        return { model, provider, parameters, weightBytes };
      });
  const all = [
    ...candidates(detection.ollama, "local_ollama"),
    ...candidates(detection.lmstudio, "lmstudio"),
  ];
  const fitting = all.filter(
    (candidate) => candidate.parameters > 0 && candidate.weightBytes <= weightBudget,
  );
  const rank = (candidate: (typeof all)[number]) =>
    (looksLikeCoder(candidate.model.id) ? 1e13 : 0) +
    candidate.parameters +
    (candidate.provider === "local_ollama" ? 1 : 0);
  fitting.sort((a, b) => rank(b) - rank(a));
  const best = fitting[0];
  if (best) {
    return {
      provider: best.provider,
      model: best.model.id,
      pulled: true,
      reason: `already available${looksLikeCoder(best.model.id) ? ", a coder model" : ""}, fits ${(detection.host.totalRamBytes / GiB).toFixed(0)} GiB RAM`,
    };
  }
  const unknownSize = all.find((candidate) => candidate.parameters === 0);
  if (unknownSize) {
    return {
      provider: unknownSize.provider,
      model: unknownSize.model.id,
      pulled: true,
      reason: "already available (size unknown)",
    };
  }
  const smallest = [...all].sort((a, b) => a.parameters - b.parameters)[0];
  if (smallest) {
    return {
      provider: smallest.provider,
      model: smallest.model.id,
      pulled: true,
      reason: `the smallest available model; it may be too large for this machine (recommended: ${recommendation.model})`,
    };
  }
  return {
    provider: "local_ollama",
    model: recommendation.model,
    pulled: false,
    reason: `recommended for ${(detection.host.totalRamBytes / GiB).toFixed(0)} GiB RAM; run \`ollama pull ${recommendation.model}\``,
  };
}

export type PlannerPath = "claude_pro" | "codex_plus" | "anthropic_api" | "openai_api" | "local_ollama";

export interface PlannerChoice {
  provider: PlannerPath;
  model: string;
  degraded: boolean;
  reason: string;
}

export function plannerOptions(detection: Detection, drafter: DrafterChoice): PlannerChoice[] {
  const options: PlannerChoice[] = [];
  if (detection.claude.installed && detection.claude.loggedIn) {
    options.push({
      provider: "claude_pro",
      model: "sonnet",
      degraded: false,
      reason: "claude is installed and logged in",
    });
  }
  if (detection.codex.installed && detection.codex.loggedIn) {
    options.push({
      provider: "codex_plus",
      model: "default",
      degraded: false,
      reason: "codex is installed and logged in",
    });
  }
  if (detection.anthropicKey) {
    options.push({
      provider: "anthropic_api",
      model: "claude-haiku-4-5",
      degraded: false,
      reason: "ANTHROPIC_API_KEY is set",
    });
  }
  if (detection.openaiKey) {
    options.push({
      provider: "openai_api",
      model: "gpt-5-mini",
      degraded: false,
      reason: "OPENAI_API_KEY is set",
    });
  }
  options.push({
    provider: "local_ollama",
    model: drafter.provider === "local_ollama" ? drafter.model : defaultDrafterModel,
    degraded: true,
    reason: "no subscription CLI or API key found: the local model plans too (degraded mode)",
  });
  return options;
}

export interface WizardResult {
  config: Plain;
  planner: PlannerChoice;
  drafter: DrafterChoice;
  warnings: string[];
  notes: string[];
}

export function buildWizardConfig(
  detection: Detection,
  planner: PlannerChoice,
  drafter: DrafterChoice,
): WizardResult {
  const warnings: string[] = [];
  const notes: string[] = [];
  const providers: Plain = {
    // No base_url: OLLAMA_HOST (or the default) stays in charge; the wizard detected it there.
    local_ollama: { type: "ollama", auth: { type: "none" } },
  };
  if (detection.lmstudio.reachable)
    providers.lmstudio = { type: "lmstudio", base_url: detection.lmstudio.url, auth: { type: "none" } };
  if (detection.claude.installed) providers.claude_pro = { type: "claude_code_cli", auth: { type: "none" } };
  if (detection.codex.installed) providers.codex_plus = { type: "codex_cli", auth: { type: "none" } };
  if (detection.anthropicKey) {
    providers.anthropic_api = {
      type: "anthropic",
      auth: { type: "bearer_env", env_var: "ANTHROPIC_API_KEY" },
    };
  }
  if (detection.openaiKey) {
    providers.openai_api = {
      type: "openai_compatible",
      base_url: "https://api.openai.com/v1",
      auth: { type: "bearer_env", env_var: "OPENAI_API_KEY" },
    };
  }
  if (planner.degraded) {
    warnings.push(
      "the planner falls back to Ollama (degraded mode): plan quality drops noticeably on non-trivial tasks. Log in to Claude Code or Codex, or set ANTHROPIC_API_KEY, then run `hierocode init --wizard --force`",
    );
  }
  if (drafter.provider === "gguf") {
    // One in-process model, its calls serialised (README: In-process GGUF models).
    providers.gguf = {
      type: "llama_cpp",
      auth: { type: "none" },
      ...(drafter.ollamaModel ? { ollama_model: drafter.ollamaModel } : { model_path: drafter.modelPath }),
    };
    if (!detection.llamaCppInstalled)
      notes.push("install the in-process runtime before the first run: hierocode local install");
  }
  if (!detection.ollama.reachable && drafter.provider === "local_ollama") {
    warnings.push(`Ollama is not reachable at ${detection.ollama.url}: start it with \`ollama serve\``);
  }
  if (!drafter.pulled) notes.push(`pull the drafter before the first run: ollama pull ${drafter.model}`);
  if (detection.claude.installed && !detection.claude.loggedIn) {
    notes.push(
      "claude is installed but not logged in: run `claude /login` to use your Claude subscription as planner",
    );
  }
  if (detection.codex.installed && !detection.codex.loggedIn) {
    notes.push(
      "codex is installed but not logged in: run `codex login` to use your ChatGPT subscription as planner",
    );
  }
  const gpuCount = detection.host.gpus.length;
  const localWorkers = gpuCount > 0 ? 4 : Math.max(1, Math.min(4, Math.floor(detection.host.cpuCount / 4)));
  const config: Plain = {
    default_provider: "local_ollama",
    providers,
    routing: {
      planner: { provider: planner.provider, model: planner.model },
      drafter: { provider: drafter.provider, model: drafter.model },
      reviewer: { provider: planner.provider, model: planner.model },
    },
    policy: basePolicy,
    parallelization: { ...baseParallel, max_local_workers: drafter.provider === "gguf" ? 1 : localWorkers },
  };
  return { config, planner, drafter, warnings, notes };
}
