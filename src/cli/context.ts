/** What every command receives: output, environment, and lazily loaded config. */
import type { Command } from "commander";
import type { ConfigOverrides, LoadedConfig } from "../config/load.js";
import { findRepoRoot } from "../util/repo-root.js";
import type { Output } from "./output.js";

export interface GlobalOptions {
  json?: boolean;
  debug?: boolean;
  color?: boolean;
  config?: string;
  repo?: string;
}

export interface CliContext {
  output: Output;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Set from the global flags after parsing. */
  globals: GlobalOptions;
  /** Loads config with the project file of `repoRoot` (or the repo of cwd) and flag overrides. */
  loadConfig(options?: { repoRoot?: string; overrides?: ConfigOverrides }): LoadedConfig;
  /** Whether stdin is an interactive terminal (prompts allowed). */
  interactive: boolean;
  /**
   * Loads what `loadConfig` needs (zod, yaml); the shell awaits it before any command's action, so
   * `--help` and `--version` never pay for it.
   */
  prepare(): Promise<void>;
}

export function createContext(
  output: Output,
  env: Record<string, string | undefined>,
  cwd: string,
): CliContext {
  let configModule: typeof import("../config/load.js") | undefined;
  const context: CliContext = {
    output,
    env,
    cwd,
    globals: {},
    interactive: Boolean(process.stdin.isTTY) && !env.CI,
    loadConfig(options = {}) {
      const repoRoot = options.repoRoot ?? findRepoRoot(context.globals.repo ?? cwd) ?? undefined;
      if (!configModule) throw new Error("loadConfig before prepare()");
      const loaded = configModule.loadConfigOrThrow({
        env: context.globals.config ? { ...env, HIEROCODE_CONFIG: context.globals.config } : env,
        ...(repoRoot ? { repoRoot } : {}),
        ...(options.overrides ? { overrides: options.overrides } : {}),
      });
      for (const warning of loaded.warnings) output.warn(warning);
      return loaded;
    },
    async prepare() {
      configModule ??= await import("../config/load.js");
    },
  };
  return context;
}

export type CommandRegistrar = (program: Command, context: CliContext) => void;
