/** Role bindings: show them, list every provider's models, and change a role's model. */
import { existsSync } from "node:fs";
import { resolveRole, validateConfig } from "../config/load.js";
import type { HierocodeConfig } from "../config/schema.js";
import { editableConfigDocument, setConfigValues } from "../config/write.js";
import { ConfigError, describeError, UsageError } from "../errors.js";
import { createProvider } from "../providers/registry.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import type { ModelInfo, Role } from "../providers/spec.js";

export const roleNames: Role[] = ["planner", "drafter", "reviewer"];

export interface RoleView {
  role: Role;
  provider?: string;
  type?: string;
  model?: string;
  exploration?: string;
  inherited: boolean;
}

export function showRoles(config: HierocodeConfig): RoleView[] {
  return roleNames.map((role) => {
    const binding = resolveRole(config, role);
    if (!binding) return { role, inherited: false };
    return {
      role,
      provider: binding.provider,
      type: config.providers[binding.provider]?.type,
      model: binding.model,
      ...(binding.exploration ? { exploration: binding.exploration } : {}),
      inherited: binding.inherited,
    };
  });
}

export interface ProviderModels {
  provider: string;
  type: string;
  models: ModelInfo[];
  error?: string;
}

export async function listAllModels(
  config: HierocodeConfig,
  runtime: ProviderRuntime,
  options: { only?: string; timeoutMs?: number } = {},
): Promise<ProviderModels[]> {
  const names = Object.keys(config.providers).filter((name) => !options.only || name === options.only);
  if (options.only && names.length === 0) {
    throw new UsageError(`no provider named '${options.only}'`, { hint: "see `hierocode providers list`" });
  }
  return Promise.all(
    names.map(async (name) => {
      const entry = config.providers[name]!;
      try {
        const provider = createProvider(name, entry, runtime);
        const models = await provider.listModels({
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        return { provider: name, type: entry.type, models };
      } catch (error) {
        return { provider: name, type: entry.type, models: [], error: describeError(error) };
      }
    }),
  );
}

/** Sets `routing.<role>` in the user's config file, validating the result before writing. */
export function setRoleModel(options: {
  file: string;
  config: HierocodeConfig;
  role: string;
  model: string;
  provider?: string;
}): { provider: string; model: string; role: Role } {
  const { file, config, model } = options;
  if (!roleNames.includes(options.role as Role)) {
    throw new UsageError(`unknown role '${options.role}'`, {
      hint: "roles are planner, drafter and reviewer",
    });
  }
  const role = options.role as Role;
  const provider =
    options.provider ??
    config.routing[role]?.provider ??
    resolveRole(config, role)?.provider ??
    config.default_provider;
  if (!provider) {
    throw new UsageError(`no provider for ${role}`, {
      hint: `pass one: hierocode models set ${role} ${model} -p <provider>`,
    });
  }
  if (!config.providers[provider]) {
    throw new UsageError(`no provider named '${provider}'`, { hint: "see `hierocode providers list`" });
  }
  if (!existsSync(file)) {
    throw new ConfigError(`no config file at ${file}`, [], { hint: "run `hierocode init --wizard` first" });
  }
  // Validate the file as it would be after the change, so a bad edit is never written.
  const document = editableConfigDocument(file);
  document.setIn(["routing", role, "provider"], provider);
  document.setIn(["routing", role, "model"], model);
  const result = validateConfig(document.toJS() as Record<string, unknown>);
  if (result.errors.length > 0) {
    throw new ConfigError(`the change would make the config invalid: ${result.errors[0]}`, result.errors);
  }
  setConfigValues(file, [
    [`routing.${role}.provider`, provider],
    [`routing.${role}.model`, model],
  ]);
  return { provider, model, role };
}
