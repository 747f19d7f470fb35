/**
 * The optional node-llama-cpp runtime: installed on request (`hierocode local install`) into a
 * hierocode-owned folder, never a dependency of hierocode itself, and loaded by dynamic import.
 *
 * Folder: `HIEROCODE_LLAMA_CPP_DIR`, else `$XDG_DATA_HOME/hierocode/llama-cpp` (default
 * `~/.local/share/hierocode/llama-cpp`). Version pinned to {@link llamaCppVersion}: recent 3.x
 * releases had backend-detection regressions (protocols.md §7).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ProviderError, UsageError } from "../errors.js";

type Env = Record<string, string | undefined>;

export const llamaCppVersion = "3.22.1";
export const llamaCppBackends = ["cpu", "cuda", "vulkan", "metal"] as const;
export type LlamaCppBackend = (typeof llamaCppBackends)[number];

/** The folder the runtime is installed into. */
export function llamaCppDir(env: Env = process.env): string {
  if (env.HIEROCODE_LLAMA_CPP_DIR) return env.HIEROCODE_LLAMA_CPP_DIR;
  const data = env.XDG_DATA_HOME || join(env.HOME || homedir(), ".local", "share");
  return join(data, "hierocode", "llama-cpp");
}

/**
 * The prebuilt-binary package for a backend on this platform (node-llama-cpp's optional
 * dependencies: `@node-llama-cpp/linux-x64`, `…-cuda`, `…-vulkan`, `mac-arm64-metal`, `win-x64…`).
 * Throws UsageError for a combination node-llama-cpp does not ship.
 */
export function backendPackage(
  backend: LlamaCppBackend,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): string {
  const os = platform === "darwin" ? "mac" : platform === "win32" ? "win" : platform;
  const shipped: Record<string, string> = {
    "linux-x64-cpu": "linux-x64",
    "linux-x64-cuda": "linux-x64-cuda",
    "linux-x64-vulkan": "linux-x64-vulkan",
    "linux-arm64-cpu": "linux-arm64",
    "mac-arm64-metal": "mac-arm64-metal",
    "mac-arm64-cpu": "mac-arm64-metal",
    "mac-x64-cpu": "mac-x64",
    "win-x64-cpu": "win-x64",
    "win-x64-cuda": "win-x64-cuda",
    "win-x64-vulkan": "win-x64-vulkan",
    "win-arm64-cpu": "win-arm64",
  };
  const name = shipped[`${os}-${arch}-${backend}`];
  if (!name)
    throw new UsageError(`node-llama-cpp ships no ${backend} backend for ${platform}-${arch}`, {
      hint: `use --backend cpu${os === "mac" && arch === "arm64" ? " or metal" : ""}`,
    });
  return `@node-llama-cpp/${name}`;
}

export interface LlamaCppInstallation {
  dir: string;
  installed: boolean;
  version?: string;
  backend?: LlamaCppBackend;
}

/** Whether the runtime is installed in `llamaCppDir(env)`, its version and backend. */
export function llamaCppStatus(env: Env = process.env): LlamaCppInstallation {
  const dir = llamaCppDir(env);
  const manifest = join(dir, "node_modules", "node-llama-cpp", "package.json");
  if (!existsSync(manifest)) return { dir, installed: false };
  const version = (JSON.parse(readFileSync(manifest, "utf8")) as { version?: string }).version;
  let backend: LlamaCppBackend | undefined;
  try {
    backend = (
      JSON.parse(readFileSync(join(dir, "hierocode-backend.json"), "utf8")) as { backend: LlamaCppBackend }
    ).backend;
  } catch {
    backend = undefined;
  }
  return { dir, installed: true, ...(version ? { version } : {}), ...(backend ? { backend } : {}) };
}

/** The npm arguments `local install` runs (exported so tests and CI run the very same command). */
export function installArgs(dir: string, backend: LlamaCppBackend): string[] {
  return [
    "install",
    "--prefix",
    dir,
    "--omit=optional",
    "--no-audit",
    "--no-fund",
    "--no-save",
    `node-llama-cpp@${llamaCppVersion}`,
    `${backendPackage(backend)}@${llamaCppVersion}`,
  ];
}

/**
 * Installs the pinned node-llama-cpp and one backend package with npm into `llamaCppDir(env)`
 * (only the npm registry is contacted; npm 11 blocks node-llama-cpp's postinstall, which is not
 * needed: the prebuilt binary is found on first use). Resolves with npm's exit code.
 */
export async function installLlamaCpp(
  backend: LlamaCppBackend,
  env: Env,
  onOutput: (chunk: string) => void,
): Promise<number> {
  const dir = llamaCppDir(env);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, "package.json")))
    writeFileSync(join(dir, "package.json"), '{ "name": "hierocode-llama-cpp", "private": true }\n');
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const code = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn(npm, installArgs(dir, backend), { env: { ...process.env, ...env }, stdio: "pipe" });
    child.stdout.on("data", (chunk: Buffer) => onOutput(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => onOutput(chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolvePromise(status ?? 1));
  });
  if (code === 0) writeFileSync(join(dir, "hierocode-backend.json"), `${JSON.stringify({ backend })}\n`);
  return code;
}

/** The subset of node-llama-cpp's module hierocode uses (typed here: it is not a dependency). */
export interface NodeLlamaCppModule {
  getLlama(options: Record<string, unknown>): Promise<unknown>;
  LlamaChatSession: new (options: Record<string, unknown>) => unknown;
  readGgufFileInfo(path: string, options?: Record<string, unknown>): Promise<unknown>;
  GgufFileType: Record<number, string>;
}

const loaded = new Map<string, Promise<NodeLlamaCppModule>>();

/**
 * Imports node-llama-cpp from the runtime folder (once per process). Throws ProviderError
 * `unavailable` (exit 4) naming `hierocode local install` when it is not installed.
 */
export function loadNodeLlamaCpp(env: Env = process.env): Promise<NodeLlamaCppModule> {
  const status = llamaCppStatus(env);
  if (!status.installed) {
    return Promise.reject(
      new ProviderError(
        "unavailable",
        `the llama_cpp runtime (node-llama-cpp) is not installed in ${status.dir}`,
        {
          provider: "llama_cpp",
          retryable: false,
          hint: "run: hierocode local install   (CPU backend, ~85 MB; --backend cuda|vulkan|metal for a GPU)",
        },
      ),
    );
  }
  let module = loaded.get(status.dir);
  if (!module) {
    const entry = join(status.dir, "node_modules", "node-llama-cpp", "dist", "index.js");
    module = import(pathToFileURL(entry).href) as Promise<NodeLlamaCppModule>;
    loaded.set(status.dir, module);
  }
  return module;
}
