/** Where hierocode keeps its files: the user config, and XDG state and cache folders. */
import { homedir } from "node:os";
import { join } from "node:path";

type Env = Record<string, string | undefined>;

function home(env: Env): string {
  return env.HOME || homedir();
}

/** `HIEROCODE_CONFIG` or `~/.hierocode.yaml`. */
export function userConfigPath(env: Env = process.env): string {
  return env.HIEROCODE_CONFIG || join(home(env), ".hierocode.yaml");
}

export const projectConfigName = ".hierocode.yaml";

/** Plan cache, usage ledger, run logs (when logs.location is state): `$XDG_STATE_HOME/hierocode`. */
export function stateDir(env: Env = process.env): string {
  if (env.HIEROCODE_STATE_DIR) return env.HIEROCODE_STATE_DIR;
  return join(env.XDG_STATE_HOME || join(home(env), ".local", "state"), "hierocode");
}

/** Rebuildable data (repository index): `$XDG_CACHE_HOME/hierocode`. */
export function cacheDir(env: Env = process.env): string {
  if (env.HIEROCODE_CACHE_DIR) return env.HIEROCODE_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(home(env), ".cache"), "hierocode");
}

/** User-level learning data (routing outcomes, decisions): `$XDG_DATA_HOME/hierocode`. */
export function dataDir(env: Env = process.env): string {
  if (env.HIEROCODE_DATA_DIR) return env.HIEROCODE_DATA_DIR;
  return join(env.XDG_DATA_HOME || join(home(env), ".local", "share"), "hierocode");
}

/** Candidate locations of the user's pricing override, first existing wins. */
export function pricingPaths(env: Env = process.env): string[] {
  return [
    join(home(env), ".hierocode", "pricing.yaml"),
    join(env.XDG_CONFIG_HOME || join(home(env), ".config"), "hierocode", "pricing.yaml"),
  ];
}
