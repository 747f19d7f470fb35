/** What every command receives: output, environment, and lazily loaded config. */
import { resolve } from "node:path";
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

/** The modules `loadConfig` needs, loaded by `prepare()` so `--help`/`--version` never pay for them. */
let modules:
  | {
      config: typeof import("../config/load.js");
      pathRules: typeof import("../edits/path-rules.js");
    }
  | undefined;

export function createContext(
  output: Output,
  env: Record<string, string | undefined>,
  cwd: string,
): CliContext {
  const context: CliContext = {
    output,
    env,
    cwd,
    globals: {},
    interactive: Boolean(process.stdin.isTTY) && !env.CI,
    loadConfig(options = {}) {
      const repoRoot =
        options.repoRoot ?? findRepoRoot(resolve(cwd, context.globals.repo ?? ".")) ?? undefined;
      if (!modules) throw new Error("loadConfig before prepare()");
      const loaded = modules.config.loadConfigOrThrow({
        env: context.globals.config ? { ...env, HIEROCODE_CONFIG: context.globals.config } : env,
        ...(repoRoot ? { repoRoot } : {}),
        ...(options.overrides ? { overrides: options.overrides } : {}),
      });
      for (const warning of loaded.warnings) output.warn(warning);
      // Every apply path refuses these files for the rest of this command.
      modules.pathRules.configureProtectedPaths({
        patterns: loaded.config.policy.protected_paths,
        userConfig: loaded.userFile,
      });
      return loaded;
    },
    async prepare() {
      modules ??= {
        config: await import("../config/load.js"),
        pathRules: await import("../edits/path-rules.js"),
      };
    },
  };
  return context;
}

/**
 * Sets the files edits may never write from the config (`policy.protected_paths`, the user config)
 * for commands that otherwise need no config (`patch apply`): a broken config leaves the defaults.
 */
export function protectFromConfig(context: CliContext, repoRoot: string): void {
  const env = context.globals.config
    ? { ...context.env, HIEROCODE_CONFIG: context.globals.config }
    : context.env;
  if (!modules) throw new Error("protectFromConfig before prepare()");
  const loaded = modules.config.loadConfig({ env, repoRoot });
  modules.pathRules.configureProtectedPaths({
    patterns: loaded.config.policy.protected_paths,
    userConfig: loaded.userFile,
  });
}

export type CommandRegistrar = (program: Command, context: CliContext) => void;

/**
 * Commands whose action loads its own configuration when it needs it, so the shell does not
 * `prepare()` for them (`hierocode mcp`: a client waits for tools/list at start-up).
 */
export const loadsConfigItself = new WeakSet<Command>();
