/**
 * From config to providers: one switch over the provider types, pools for entries that
 * list several base URLs, and the provider bound to a role.
 */
import { type ResolvedBinding, resolveRole } from "../config/load.js";
import type { HierocodeConfig, ProviderConfig } from "../config/schema.js";
import { ConfigError } from "../errors.js";
import { AnthropicProvider } from "./anthropic.js";
import { ClaudeCodeCliProvider } from "./claude-code-cli.js";
import { CodexCliProvider } from "./codex-cli.js";
import { LlamaCppProvider } from "./llama-cpp.js";
import { LmStudioProvider } from "./lmstudio.js";
import { OllamaProvider } from "./ollama.js";
import { OpenAiCompatibleProvider } from "./openai-compatible.js";
import { type PoolOptions, ProviderPool } from "./pool.js";
import { ReplayProvider, readCassette } from "./replay.js";
import type { ProviderRuntime } from "./runtime.js";
import type { Provider, Role } from "./spec.js";

export type { ProviderRuntime } from "./runtime.js";

function createSingle(name: string, config: ProviderConfig, runtime: ProviderRuntime): Provider {
  switch (config.type) {
    case "ollama":
      return new OllamaProvider(name, config, runtime);
    case "anthropic":
      return new AnthropicProvider(name, config, runtime);
    case "openai_compatible":
      return new OpenAiCompatibleProvider(name, config, runtime);
    case "lmstudio":
      return new LmStudioProvider(name, config, runtime);
    case "claude_code_cli":
      return new ClaudeCodeCliProvider(name, config, runtime);
    case "codex_cli":
      return new CodexCliProvider(name, config, runtime);
    case "llama_cpp":
      return new LlamaCppProvider(name, config, runtime);
    case "replay":
      if (!config.cassette)
        throw new ConfigError(`provider '${name}' (type replay) names no cassette`, [
          `providers.${name}.cassette: required for type replay`,
        ]);
      return new ReplayProvider(name, readCassette(config.cassette), {
        strict: config.strict ?? true,
        env: runtime.env,
        anyProvider: true,
      });
  }
}

const httpTypes = new Set<ProviderConfig["type"]>(["ollama", "anthropic", "openai_compatible", "lmstudio"]);

/**
 * The provider for one config entry. A list of several base URLs becomes a pool with one
 * provider per host (least-busy healthy host, failover when a host is down).
 */
export function createProvider(
  name: string,
  config: ProviderConfig,
  runtime: ProviderRuntime,
  poolOptions: PoolOptions = {},
): Provider {
  const session = runtime.cassette;
  if (session?.mode === "replay")
    return new ReplayProvider(name, session.cassette, {
      strict: session.strict,
      env: runtime.env,
      type: config.type,
    });
  const provider = createUnrecorded(name, config, runtime, poolOptions);
  return session?.mode === "record" ? session.recorder.wrap(name, config, provider) : provider;
}

function createUnrecorded(
  name: string,
  config: ProviderConfig,
  runtime: ProviderRuntime,
  poolOptions: PoolOptions,
): Provider {
  const urls = Array.isArray(config.base_url) ? config.base_url : undefined;
  if (urls && urls.length > 1 && httpTypes.has(config.type)) {
    const hosts = urls.map((url) => ({
      url,
      provider: createSingle(name, { ...config, base_url: url }, runtime),
    }));
    return new ProviderPool(name, config.type, hosts, poolOptions);
  }
  const single = urls ? { ...config, base_url: urls[0] } : config;
  return createSingle(name, single, runtime);
}

export interface RoleProvider {
  provider: Provider;
  /** The model to pass in each request. */
  model: string;
  binding: ResolvedBinding;
}

/** The provider (and model) a role is routed to; the reviewer falls back to the planner. */
export function createProviderForRole(
  config: HierocodeConfig,
  role: Role,
  runtime: ProviderRuntime,
): RoleProvider {
  const binding = resolveRole(config, role);
  if (!binding) {
    throw new ConfigError(`no provider is configured for the ${role}`, [`routing.${role}: not set`], {
      hint: `run hierocode init --wizard, or set routing.${role} in ~/.hierocode.yaml`,
    });
  }
  const entry = config.providers[binding.provider];
  if (!entry) {
    throw new ConfigError(
      `the ${role} is routed to provider '${binding.provider}', which is not defined`,
      [`routing.${role}.provider: '${binding.provider}' is not defined under providers`],
      { hint: "run hierocode init --wizard, or add it under providers in ~/.hierocode.yaml" },
    );
  }
  return { provider: createProvider(binding.provider, entry, runtime), model: binding.model, binding };
}
