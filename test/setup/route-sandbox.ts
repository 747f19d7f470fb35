/**
 * The sandbox the router's in-process CLI tests share (`route explain`, `outcome`, evaluation
 * priors): fake Ollama and Anthropic servers, a private HOME/state/cache/data folder, a git
 * repository with `src/util.py`, and a config whose drafter is a local Ollama model with one
 * Anthropic candidate under `router.mode: learned` (seed 1, exploration 0.05).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { closeAllDatabases } from "../../src/store/database.js";
import { sandboxHome } from "../app/cli-harness.js";
import { type FakeAnthropic, type FakeOllama, startFakeAnthropic, startFakeOllama } from "../kit/index.js";

export interface RouteSandbox {
  ollama: FakeOllama;
  anthropic: FakeAnthropic;
  /** The CLI's environment: HIEROCODE_CONFIG, an API key, HIEROCODE_DATA_DIR for the learning store. */
  env: Record<string, string | undefined>;
  home: string;
  /** A git repository with `src/util.py` (`def add(a, b)`). */
  repo: string;
  /** Closes the databases and the fakes, removes every folder it made. */
  close(): Promise<void>;
}

/** The local drafter and its API candidate in the shared config. */
export const routeModels = { local: "qwen2.5-coder:7b", api: "claude-haiku-4-5-20251001" } as const;

/** Starts the fakes and writes the repository and config; call `close()` in afterAll. */
export async function startRouteSandbox(): Promise<RouteSandbox> {
  const [ollama, anthropic] = await Promise.all([startFakeOllama(), startFakeAnthropic()]);
  const sandbox = sandboxHome();
  const home = sandbox.home;
  const repo = join(home, "repo");
  mkdirSync(join(repo, "src"), { recursive: true });
  writeFileSync(join(repo, "src", "util.py"), "def add(a, b):\n    return a + b\n");
  execFileSync("git", ["init", "-q", repo]);
  const configFile = join(home, ".hierocode.yaml");
  writeFileSync(
    configFile,
    stringify({
      providers: {
        local: { type: "ollama", base_url: ollama.url },
        api: { type: "anthropic", base_url: anthropic.url, auth: { type: "none" } },
      },
      routing: {
        planner: { provider: "api", model: "claude-sonnet-4-6" },
        drafter: {
          provider: "local",
          model: routeModels.local,
          candidates: [{ provider: "api", model: routeModels.api }],
        },
      },
      router: {
        mode: "learned",
        seed: 1,
        exploration: 0.05,
        weights: { usd: 1, seconds: 0.0001, messages: 0.05 },
      },
    }),
  );
  const env = {
    ...process.env,
    ...sandbox.env,
    HIEROCODE_CONFIG: configFile,
    ANTHROPIC_API_KEY: "sk-ant-test-route-0123456789abcdef",
    HIEROCODE_DATA_DIR: join(dirname(home), "data"),
  };
  return {
    ollama,
    anthropic,
    env,
    home,
    repo,
    async close() {
      closeAllDatabases();
      await Promise.all([ollama.close(), anthropic.close()]);
      rmSync(dirname(home), { recursive: true, force: true });
    },
  };
}
