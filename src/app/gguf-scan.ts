/**
 * GGUF model files already on this machine, for the wizard to offer as an in-process
 * `llama_cpp` drafter. Looked for in the folders the common tools download to:
 *
 * - node-llama-cpp: `~/.cache/node-llama-cpp/models` (its `pull` command's default folder)
 * - Hugging Face hub: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`
 *   (`models--org--name/snapshots/<rev>/*.gguf`, symlinks into `blobs/` of the same cache)
 * - LM Studio: `~/.lmstudio/models` and the older `~/.cache/lm-studio/models`
 * - Ollama: `$OLLAMA_MODELS` or `~/.ollama/models` — its blobs are not GGUF-named, so its
 *   manifests are read (`manifests/<registry>/<namespace>/<name>/<tag>` → the layer of media type
 *   `application/vnd.ollama.image.model` → `blobs/sha256-<hex>`), and offered as `ollama_model`.
 *
 * Bounded and safe: at most `maxDepth` folder levels and `maxEntries` directory entries per root
 * and `budgetMs` in all; symlinked folders are never entered, and a symlinked file counts only
 * when its real path stays inside the root it was found in. A file counts only when it starts
 * with the GGUF magic (`GGUF`, https://github.com/ggml-org/ggml/blob/master/docs/gguf.md).
 * Split models offer only their first part (`-00001-of-000NN.gguf`, which llama.cpp loads with
 * the rest); multimodal projectors (`mmproj`) are skipped.
 */
import {
  closeSync,
  type Dirent,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
} from "node:fs";
import { homedir } from "node:os";
import { join, relative, sep } from "node:path";

type Env = Record<string, string | undefined>;

export type GgufSource = "node-llama-cpp" | "huggingface" | "lm-studio" | "ollama";

/** One GGUF model found on disk. */
export interface GgufFile {
  /** Absolute path of the file (for Ollama: the blob). */
  path: string;
  sizeBytes: number;
  source: GgufSource;
  /** A short name for menus: the file name, or `name:tag` for Ollama. */
  label: string;
  /** For Ollama's models: the name to put in `ollama_model`. */
  ollamaModel?: string;
}

export interface GgufScanOptions {
  maxDepth?: number;
  maxEntries?: number;
  budgetMs?: number;
  /** Overrides the default roots (tests). */
  roots?: Array<{ path: string; source: GgufSource }>;
}

const ggufMagic = Buffer.from("GGUF", "ascii");

/** The folders searched, in order (see the module comment). */
export function ggufRoots(env: Env): Array<{ path: string; source: GgufSource }> {
  const home = env.HOME || homedir();
  const hub =
    env.HF_HUB_CACHE || (env.HF_HOME ? join(env.HF_HOME, "hub") : join(home, ".cache", "huggingface", "hub"));
  return [
    { path: join(home, ".cache", "node-llama-cpp", "models"), source: "node-llama-cpp" },
    { path: hub, source: "huggingface" },
    { path: join(home, ".lmstudio", "models"), source: "lm-studio" },
    { path: join(home, ".cache", "lm-studio", "models"), source: "lm-studio" },
    { path: env.OLLAMA_MODELS || join(home, ".ollama", "models"), source: "ollama" },
  ];
}

function startsWithMagic(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(ggufMagic);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== "..";
}

function wantedName(name: string): boolean {
  const lower = name.toLowerCase();
  if (!lower.endsWith(".gguf") || lower.includes("mmproj")) return false;
  const part = /-(\d{5})-of-\d{5}\.gguf$/.exec(lower);
  return !part || part[1] === "00001";
}

/**
 * Every GGUF file under the roots (`options.roots`, default {@link ggufRoots}), within the
 * bounds of the module comment (defaults: depth 6, 5,000 entries per root, 500 ms in all). Never
 * throws: unreadable folders and files are skipped. In root order, then by name; a file reached
 * twice (a symlink and its target) is listed once.
 */
export function findGgufFiles(env: Env, options: GgufScanOptions = {}): GgufFile[] {
  const maxDepth = options.maxDepth ?? 6;
  const maxEntries = options.maxEntries ?? 5000;
  const deadline = Date.now() + (options.budgetMs ?? 500);
  const found: GgufFile[] = [];
  const seen = new Set<string>();
  for (const root of options.roots ?? ggufRoots(env)) {
    let realRoot: string;
    try {
      realRoot = realpathSync(root.path);
      if (!statSync(realRoot).isDirectory()) continue;
    } catch {
      continue;
    }
    const add = (path: string, label: string, ollamaModel?: string) => {
      let real: string;
      try {
        real = realpathSync(path);
      } catch {
        return;
      }
      if (!inside(realRoot, real) || seen.has(real) || !startsWithMagic(real)) return;
      let size = 0;
      try {
        const stats = statSync(real);
        if (!stats.isFile()) return;
        size = stats.size;
      } catch {
        return;
      }
      seen.add(real);
      found.push({
        path: real,
        sizeBytes: size,
        source: root.source,
        label,
        ...(ollamaModel ? { ollamaModel } : {}),
      });
    };
    if (root.source === "ollama") {
      scanOllama(realRoot, add, { maxEntries, deadline });
      continue;
    }
    let entries = 0;
    const walk = (folder: string, depth: number) => {
      if (depth > maxDepth || entries >= maxEntries || Date.now() > deadline) return;
      let list: Dirent[];
      try {
        list = readdirSync(folder, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (++entries > maxEntries || Date.now() > deadline) return;
        const path = join(folder, entry.name);
        if (entry.isDirectory()) walk(path, depth + 1);
        else if ((entry.isFile() || entry.isSymbolicLink()) && wantedName(entry.name)) add(path, entry.name);
        // a symlinked folder is never entered
      }
    };
    walk(realRoot, 0);
  }
  return found;
}

function scanOllama(
  root: string,
  add: (path: string, label: string, ollamaModel: string) => void,
  limits: { maxEntries: number; deadline: number },
): void {
  const manifests = join(root, "manifests");
  let entries = 0;
  // manifests/<registry>/<namespace>/<name>/<tag>: exactly four levels
  const walk = (folder: string, parts: string[]) => {
    if (entries >= limits.maxEntries || Date.now() > limits.deadline) return;
    let list: Dirent[];
    try {
      list = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of list) {
      if (++entries > limits.maxEntries || Date.now() > limits.deadline) return;
      const path = join(folder, entry.name);
      if (parts.length < 3) {
        if (entry.isDirectory()) walk(path, [...parts, entry.name]);
        continue;
      }
      if (!entry.isFile()) continue;
      const [registry, namespace, name] = parts as [string, string, string];
      const tag = entry.name;
      const model =
        registry === "registry.ollama.ai"
          ? `${namespace === "library" ? "" : `${namespace}/`}${name}:${tag}`
          : `${registry}/${namespace}/${name}:${tag}`;
      try {
        if (lstatSync(path).size > 1024 * 1024) continue; // a manifest is a small JSON file
        const layers =
          (
            JSON.parse(readFileSync(path, "utf8")) as {
              layers?: Array<{ mediaType?: string; digest?: string }>;
            }
          ).layers ?? [];
        const digest = layers.find(
          (layer) => layer.mediaType === "application/vnd.ollama.image.model",
        )?.digest;
        if (digest && /^sha256:[0-9a-f]{64}$/.test(digest))
          add(join(root, "blobs", digest.replace(":", "-")), model, model);
      } catch {
        // not a manifest
      }
    }
  };
  walk(manifests, []);
}
