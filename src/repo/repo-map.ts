/**
 * The repository map the planner sees: index the repository, rank it towards the task and the
 * focus files, and render signatures to a token budget.
 */
import { join } from "node:path";
import type { TokenCounter } from "../tokens/counter.js";
import { defaultTokenCounter } from "../tokens/select.js";
import { type IndexOptions, indexRepo } from "./indexer.js";
import { type RankResult, rankRepo } from "./rank.js";
import { fitToBudget } from "./render-map.js";
import { hashFile } from "./safe-read.js";
import { taskTerms } from "./task-terms.js";
import { readTexts } from "./text-bm25.js";
import type { IndexedFile } from "./types.js";

export interface RepoMapRequest {
  repoRoot: string;
  tokens: number;
  focusFiles?: string[];
  task?: string;
  counter?: TokenCounter;
  /** Index options (cache location through `env`, size limit…). */
  index?: IndexOptions;
}

export interface RepoMap {
  text: string;
  tokens: number;
  /** What the planner saw, for the plan-cache key. */
  files: Array<{ path: string; sha256: string }>;
  totalFiles: number;
  shownFiles: number;
  estimator: string;
}

export { defaultMapTokens } from "./map-tokens.js";

/** camelCase, snake_case, digits, or a capitalised name: written as code, not as prose. */
function looksLikeCode(word: string): boolean {
  return /[a-z][A-Z]|_|\d/.test(word) || /^[A-Z][a-z]+[A-Z]/.test(word);
}

/**
 * Identifiers and paths the task text mentions, restricted to what exists in the repository.
 * Plain words ("add", "map", "option") name a symbol somewhere in most repositories, so a word
 * only counts when it is written like code, or is rare here (defined in at most two files) and
 * not a short word.
 */
export function mentionsIn(
  task: string,
  files: IndexedFile[],
): { identifiers: Set<string>; paths: Set<string> } {
  const words = new Set(task.match(/[A-Za-z_$][A-Za-z0-9_$]{2,}/g) ?? []);
  const definers = new Map<string, Set<string>>();
  for (const file of files) {
    for (const symbol of file.symbols) {
      if (!words.has(symbol.name)) continue;
      const set = definers.get(symbol.name) ?? new Set<string>();
      set.add(file.path);
      definers.set(symbol.name, set);
    }
  }
  const identifiers = new Set<string>();
  for (const [name, where] of definers) {
    if (looksLikeCode(name) || /^[A-Z]/.test(name) || (where.size <= 2 && name.length >= 5))
      identifiers.add(name);
  }
  const paths = new Set<string>();
  const candidates = task.match(/[\w./-]+\.[A-Za-z0-9]+|[\w.-]+\/[\w./-]+/g) ?? [];
  for (const candidate of candidates) {
    const cleaned = candidate.replace(/^\.\//, "").replace(/[.,;:]+$/, "");
    for (const file of files) {
      if (file.path === cleaned || file.path.endsWith(`/${cleaned}`)) paths.add(file.path);
    }
  }
  return { identifiers, paths };
}

/**
 * The ranking `buildRepoMap` renders, for an already indexed repository (benchmarks, tools).
 * `texts`: each file's text in `files` order (text-bm25.ts `readTexts`), matched against the
 * task's words; without them only names and paths are.
 */
export function rankForTask(
  files: IndexedFile[],
  request: { task?: string; focusFiles?: string[]; texts?: readonly string[] } = {},
): RankResult {
  const mentions = mentionsIn(request.task ?? "", files);
  const focusFiles = (request.focusFiles ?? []).map((path) => path.replace(/^\.\//, ""));
  return rankRepo({
    files,
    focusFiles,
    mentionedIdentifiers: mentions.identifiers,
    mentionedPaths: mentions.paths,
    taskTerms: taskTerms(request.task ?? ""),
    ...(request.texts ? { texts: request.texts } : {}),
  });
}

export async function buildRepoMap(request: RepoMapRequest): Promise<RepoMap> {
  const counter = request.counter ?? defaultTokenCounter();
  const indexed = await indexRepo(request.repoRoot, request.index ?? {});
  const files = indexed.files;
  const byPath = new Map(files.map((file) => [file.path, file]));
  // The files' text only matters for a task's words; without a task the graph alone ranks.
  const texts = request.task?.trim() ? readTexts(request.repoRoot, files) : undefined;
  const ranked = rankForTask(files, { ...request, ...(texts ? { texts } : {}) });
  const fitted = fitToBudget(ranked.entries, byPath, request.tokens, counter);
  const shown = new Set(ranked.entries.slice(0, fitted.included).map((entry) => entry.file));
  const shownFiles: Array<{ path: string; sha256: string }> = [];
  for (const path of [...shown].sort()) {
    const sha256 = byPath.get(path)?.sha256 ?? hashFile(join(request.repoRoot, path));
    if (sha256) shownFiles.push({ path, sha256 });
  }
  return {
    text: fitted.text,
    tokens: fitted.tokens,
    files: shownFiles,
    totalFiles: files.length,
    shownFiles: shown.size,
    estimator: counter.name,
  };
}
