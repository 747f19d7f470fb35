/**
 * `hierocode doctor`: for every routed role, is the provider reachable, authenticated (not just
 * installed), is the model present, and what context window will be used. Never spends money:
 * only free endpoints (`/api/tags`, `/v1/models`, `claude auth status`, `codex doctor --json`).
 */
import type { LoadedConfig } from "../config/load.js";
import { resolveRole } from "../config/load.js";
import type { HierocodeConfig } from "../config/schema.js";
import type { ProjectTrust } from "../config/trust.js";
import { describeError } from "../errors.js";
import { embedderFor } from "../memory/embeddings.js";
import { chooseNumCtx, type HostMemory } from "../pipeline/capacity.js";
import { createProvider } from "../providers/registry.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import type { Capacity, HealthStatus, ModelInfo, Provider, Role } from "../providers/spec.js";
import { readResources } from "../system/resources.js";
import { modelMatches } from "./model-names.js";

function hostMemory(env: Record<string, string | undefined>): HostMemory {
  const resources = readResources(env);
  return {
    totalRamBytes: resources.totalRamBytes,
    vramBytes: Math.max(0, ...resources.gpus.map((gpu) => gpu.vramBytes)),
  };
}

export type CheckStatus = "ok" | "warn" | "fail";

export interface DoctorCheck {
  subject: string;
  role?: Role;
  status: CheckStatus;
  message: string;
  hint?: string;
}

export interface RoleReport {
  role: Role;
  provider?: string;
  type?: string;
  model?: string;
  inherited?: boolean;
  reachable?: boolean;
  authenticated?: boolean;
  modelPresent?: boolean;
  contextLength?: number;
  /** Ollama: the num_ctx a run would send to this model now (window, memory, loaded runner, pin). */
  numCtx?: number;
  ok: boolean;
}

export interface DoctorReport {
  ok: boolean;
  configFile: string;
  configFileExists: boolean;
  checks: DoctorCheck[];
  roles: RoleReport[];
}

const roles: Role[] = ["planner", "drafter", "reviewer"];

/** The project file's trust as a doctor line: trusted, or which of its settings are ignored. */
function trustCheck(trust: ProjectTrust): DoctorCheck {
  const short = trust.sha256.slice(0, 12);
  if (trust.state === "trusted")
    return { subject: "trust", status: "ok", message: `${trust.file} is trusted (sha256 ${short}…)` };
  const state = trust.state === "changed" ? "changed since it was trusted" : "not trusted";
  if (trust.sensitive.length === 0)
    return {
      subject: "trust",
      status: "ok",
      message: `${trust.file} is ${state}; it sets nothing that needs trust`,
    };
  return {
    subject: "trust",
    status: "warn",
    message: `${trust.file} is ${state}; ignored: ${trust.sensitive.join(", ")}`,
    hint: "review the file, then run `hierocode trust` to allow these settings",
  };
}

interface ProviderProbe {
  provider?: Provider;
  health?: HealthStatus;
  models?: ModelInfo[];
  modelsError?: string;
  createError?: string;
}

async function probeProvider(
  name: string,
  config: HierocodeConfig,
  runtime: ProviderRuntime,
  timeoutMs: number,
): Promise<ProviderProbe> {
  const entry = config.providers[name];
  if (!entry) return { createError: `provider '${name}' is not defined under providers` };
  let provider: Provider;
  try {
    provider = createProvider(name, entry, runtime);
  } catch (error) {
    return { createError: describeError(error) };
  }
  let health: HealthStatus;
  try {
    health = await provider.health({ signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    health = { ok: false, reachable: false, message: describeError(error) };
  }
  const probe: ProviderProbe = { provider, health };
  if (health.reachable && health.authenticated !== false) {
    try {
      probe.models = await provider.listModels({ signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      probe.modelsError = describeError(error);
    }
  }
  return probe;
}

/** Backends whose model list is authoritative (a missing model is a failure, not a warning). */
const authoritativeModelLists = new Set(["ollama", "lmstudio", "openai_compatible"]);

export async function runDoctor(options: {
  loaded: LoadedConfig;
  runtime: ProviderRuntime;
  timeoutMs?: number;
}): Promise<DoctorReport> {
  const { loaded, runtime } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const checks: DoctorCheck[] = [];
  const roleReports: RoleReport[] = [];

  if (!loaded.userFileExists && loaded.sources.length === 0) {
    checks.push({
      subject: "config",
      status: "fail",
      message: `no config file at ${loaded.userFile}`,
      hint: "run `hierocode init --wizard` to detect your setup and write one",
    });
  }
  for (const error of loaded.errors) checks.push({ subject: "config", status: "fail", message: error });
  for (const warning of loaded.warnings) {
    if (warning !== loaded.trust?.warning)
      checks.push({ subject: "config", status: "warn", message: warning });
  }
  if (loaded.trust) checks.push(trustCheck(loaded.trust));
  if (loaded.errors.length === 0 && loaded.sources.length > 0) {
    checks.push({ subject: "config", status: "ok", message: `valid (${loaded.sources.join(", ")})` });
  }

  const config = loaded.config;
  const probes = new Map<string, Promise<ProviderProbe>>();
  const probe = (name: string) => {
    let pending = probes.get(name);
    if (!pending) {
      pending = probeProvider(name, config, runtime, timeoutMs);
      probes.set(name, pending);
    }
    return pending;
  };

  for (const role of roles) {
    const binding = resolveRole(config, role);
    if (!binding) {
      checks.push({
        subject: role,
        role,
        status: "fail",
        message: `routing.${role} is not set`,
        hint: `run \`hierocode models set ${role} <model> -p <provider>\` or \`hierocode init --wizard\``,
      });
      roleReports.push({ role, ok: false });
      continue;
    }
    const report: RoleReport = {
      role,
      provider: binding.provider,
      type: config.providers[binding.provider]?.type,
      model: binding.model,
      inherited: binding.inherited,
      ok: false,
    };
    roleReports.push(report);
    const label = `${role} (${binding.provider}/${binding.model}${binding.inherited ? ", inherited from planner" : ""})`;
    const result = await probe(binding.provider);
    if (result.createError || !result.provider || !result.health) {
      checks.push({
        subject: label,
        role,
        status: "fail",
        message: result.createError ?? "provider unavailable",
      });
      continue;
    }
    const { health, provider } = result;
    report.reachable = health.reachable;
    report.authenticated = health.authenticated;
    if (!health.reachable) {
      checks.push({ subject: label, role, status: "fail", message: health.message, ...hintOf(health) });
      continue;
    }
    if (health.authenticated === false || health.kindMismatch) {
      checks.push({ subject: label, role, status: "fail", message: health.message, ...hintOf(health) });
      continue;
    }
    const isCli = provider.type === "claude_code_cli" || provider.type === "codex_cli";
    if (!health.ok && !isCli) {
      // Never "ok" about a failure: a reachable server that did not answer its health check.
      checks.push({ subject: label, role, status: "fail", message: health.message, ...hintOf(health) });
      continue;
    }
    // A CLI whose login state could not be read: the run's own call will tell, so warn.
    checks.push({
      subject: label,
      role,
      status: health.ok ? "ok" : "warn",
      message: health.message,
      ...(health.ok ? {} : hintOf(health)),
    });
    for (const warning of (provider as { urlWarnings?: string[] }).urlWarnings ?? []) {
      checks.push({ subject: label, role, status: "warn", message: warning });
    }

    // Model presence.
    const type = config.providers[binding.provider]?.type ?? "ollama";
    // llama_cpp: the GGUF file is the model (the context-window check below reads it).
    if (result.models && type !== "llama_cpp") {
      const present = result.models.some((model) => modelMatches(type, model.id, binding.model));
      report.modelPresent = present;
      if (!present) {
        const authoritative = authoritativeModelLists.has(type);
        checks.push({
          subject: label,
          role,
          status: authoritative ? "fail" : "warn",
          message: `model '${binding.model}' is not ${type === "ollama" ? "pulled" : "listed by the provider"}`,
          hint:
            type === "ollama"
              ? `ollama pull ${binding.model}`
              : authoritative
                ? `load or serve '${binding.model}', or pick one of: ${result.models
                    .slice(0, 5)
                    .map((model) => model.id)
                    .join(", ")}`
                : "check the model id; the call will fail if the provider does not know it",
        });
        if (authoritative) continue;
      } else {
        checks.push({ subject: label, role, status: "ok", message: `model '${binding.model}' is available` });
      }
    } else if (result.modelsError) {
      checks.push({
        subject: label,
        role,
        status: "warn",
        message: `could not list models: ${result.modelsError}`,
      });
    }

    // Context window.
    if (provider.capacity) {
      try {
        const capacity: Capacity = await provider.capacity(binding.model, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        report.contextLength = capacity.contextLength;
        if (type === "ollama") {
          const chosen = chooseNumCtx(capacity, {
            memory: hostMemory(runtime.env),
            ...(config.providers[binding.provider]?.num_ctx
              ? { pinned: config.providers[binding.provider]?.num_ctx as number }
              : {}),
          });
          report.numCtx = chosen.numCtx;
        }
        if (capacity.contextLength) {
          checks.push({
            subject: label,
            role,
            status: "ok",
            message: `context window ${capacity.contextLength} tokens${
              type === "ollama" && report.numCtx !== undefined
                ? `; a run sends num_ctx ${report.numCtx} on every call to this model`
                : ""
            }${capacity.parameterSize ? `, ${capacity.parameterSize} parameters` : ""}${
              capacity.quantization ? `, ${capacity.quantization}` : ""
            }`,
          });
        }
      } catch (error) {
        checks.push({
          subject: label,
          role,
          status: "warn",
          message: `could not read the context window: ${describeError(error)}`,
        });
      }
    }
    if (role === "planner" && (type === "ollama" || type === "lmstudio")) {
      checks.push({
        subject: label,
        role,
        status: "warn",
        message: "the planner runs on a local model (degraded mode): plan quality drops on non-trivial tasks",
        hint: "log in to Claude Code (`claude /login`) or Codex, or set ANTHROPIC_API_KEY, then `hierocode init --wizard --force`",
      });
    }
    report.ok = !checks.some(
      (check) => check.role === role && check.subject === label && check.status === "fail",
    );
  }

  if (config.memory.embeddings) checks.push(await embeddingCheck(config, runtime, timeoutMs));

  const ok = !checks.some((check) => check.status === "fail");
  return {
    ok,
    configFile: loaded.userFile,
    configFileExists: loaded.userFileExists,
    checks,
    roles: roleReports,
  };
}

/**
 * `memory.embeddings`: embeds one short text with the configured model. A failure is a warning
 * (memory retrieval falls back to full-text search), with the server's reason and a hint.
 */
async function embeddingCheck(
  config: LoadedConfig["config"],
  runtime: ProviderRuntime,
  timeoutMs: number,
): Promise<DoctorCheck> {
  const settings = config.memory.embeddings as { provider: string; model: string };
  const subject = `memory.embeddings (${settings.provider}/${settings.model})`;
  try {
    const embedder = embedderFor(config, runtime.env, runtime);
    if (embedder && !embedder.local) {
      // A remote server bills embeddings: doctor only asks whether it lists the model.
      const models = await embedder.provider.listModels({ signal: AbortSignal.timeout(timeoutMs) });
      const listed = models.some((model) => model.id === settings.model);
      return {
        subject,
        status: listed ? "ok" : "warn",
        message: listed
          ? "embedding model is listed by the server (not called: doctor never spends money)"
          : `the server does not list model '${settings.model}'; memory search falls back to full-text search`,
        ...(listed ? {} : { hint: "check memory.embeddings.model (`hierocode models list`)" }),
      };
    }
    const [vector] = (await embedder?.embed(["hierocode doctor"], AbortSignal.timeout(timeoutMs))) ?? [];
    return {
      subject,
      status: "ok",
      message: `embedding model answers (${vector?.length ?? 0} dimensions); memory search fuses it with full-text search`,
    };
  } catch (error) {
    const pull = config.providers[settings.provider]?.type === "ollama";
    return {
      subject,
      status: "warn",
      message: `${describeError(error)}; memory search falls back to full-text search`,
      hint: pull
        ? `ollama pull ${settings.model} (an embedding model such as nomic-embed-text)`
        : "check memory.embeddings.provider and model (an embedding model the server serves)",
    };
  }
}

function hintOf(health: HealthStatus): { hint?: string } {
  return health.hint ? { hint: health.hint } : {};
}
