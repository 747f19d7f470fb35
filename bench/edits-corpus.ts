/** Real source files from this machine for the edit benchmark: the project's node_modules and CPython's stdlib. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface SourceFile {
  /** Where it came from, for the report. */
  origin: "node_modules" | "python-stdlib";
  /** Repository-relative path the benchmark gives it (nested, so prefix handling matters). */
  path: string;
  /** LF-only content without a BOM. */
  content: string;
  language: "python" | "javascript";
}

/** Deterministic pseudo-random numbers (mulberry32), so every run builds the same corpus. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

function walk(
  root: string,
  accept: (path: string) => boolean,
  limit: number,
  skip: (name: string) => boolean,
): string[] {
  const found: string[] = [];
  const pending = [root];
  while (pending.length > 0 && found.length < limit) {
    const folder = pending.shift() as string;
    let entries: string[];
    try {
      entries = readdirSync(folder).sort();
    } catch {
      continue;
    }
    for (const name of entries) {
      if (skip(name)) continue;
      const path = join(folder, name);
      let stats: ReturnType<typeof statSync>;
      try {
        stats = statSync(path);
      } catch {
        continue;
      }
      if (stats.isDirectory()) pending.push(path);
      else if (stats.isFile() && stats.size >= 1500 && stats.size <= 60_000 && accept(path)) found.push(path);
    }
  }
  return found;
}

function usable(content: string): boolean {
  if (content.includes("\r") || content.includes("\0") || content.startsWith("\uFEFF")) return false;
  const lines = content.split("\n");
  if (lines.length < 40) return false;
  // Minified or generated files are not what models edit.
  return lines.every((line) => line.length <= 240);
}

function pythonStdlib(): string | null {
  try {
    return execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], {
      encoding: "utf8",
    }).trim();
  } catch {
    return null;
  }
}

export function collectSources(projectRoot: string, perOrigin: number, random: () => number): SourceFile[] {
  const sources: SourceFile[] = [];
  const origins: {
    origin: SourceFile["origin"];
    root: string | null;
    accept: (path: string) => boolean;
    skip: (name: string) => boolean;
  }[] = [
    {
      origin: "node_modules",
      root: join(projectRoot, "node_modules"),
      accept: (path) => /\.(m?js|ts)$/.test(path) && !path.endsWith(".d.ts") && !/\.min\.js$/.test(path),
      skip: (name) => name === "dist-min" || name.startsWith("."),
    },
    {
      origin: "python-stdlib",
      root: pythonStdlib(),
      accept: (path) => path.endsWith(".py"),
      skip: (name) => name === "site-packages" || name === "__pycache__" || name.startsWith("."),
    },
  ];
  for (const { origin, root, accept, skip } of origins) {
    if (!root) {
      process.stderr.write(`warning: no ${origin} found; the corpus will lack it\n`);
      continue;
    }
    const candidates = shuffle(walk(root, accept, 6000, skip), random);
    let taken = 0;
    for (const path of candidates) {
      if (taken >= perOrigin) break;
      const content = readFileSync(path, "utf8");
      if (!usable(content)) continue;
      const name = relative(root, path).replace(/[^A-Za-z0-9_./-]/g, "_");
      sources.push({
        origin,
        path: `${origin === "node_modules" ? "web" : "py"}/src/${name}`,
        content,
        language: path.endsWith(".py") ? "python" : "javascript",
      });
      taken++;
    }
  }
  return sources;
}
