/**
 * Ranks files and definitions for a task, the way aider's repo map does: files are nodes, an edge
 * F → D means F mentions an identifier that D defines, and a personalised PageRank (biased
 * towards focus files and files the task names) decides which files matter. Each file's rank
 * then flows along its edges to the definitions it uses, so the definitions that relevant files
 * depend on rise to the top.
 */
import { identifierBm25 } from "./identifier-bm25.js";
import { kindWeight, taskRelevance } from "./task-relevance.js";
import type { TaskTerms } from "./task-terms.js";
import { textBm25 } from "./text-bm25.js";
import type { IndexedFile, RepoSymbol } from "./types.js";

export interface RankRequest {
  files: IndexedFile[];
  focusFiles?: string[];
  /** Identifiers the task mentions (only those defined somewhere matter). */
  mentionedIdentifiers?: ReadonlySet<string>;
  /** Repo-relative paths the task mentions. */
  mentionedPaths?: ReadonlySet<string>;
  /** The task's words (see task-terms.ts): matched against paths and definition names. */
  taskTerms?: TaskTerms;
  /**
   * Each file's text, same order as `files` ("" when not read; see text-bm25.ts `readTexts`):
   * the task's words are also matched against it. Without it, only names and paths count.
   */
  texts?: readonly string[];
}

export interface RankedEntry {
  file: string;
  /** Null for a file shown by path only (no symbols). */
  symbol: RepoSymbol | null;
  rank: number;
}

export interface RankResult {
  fileRanks: Map<string, number>;
  /** Every definition and every symbol-less file, best first. */
  entries: RankedEntry[];
}

const damping = 0.85;
const lexicalWeight = 10;
const lexicalSharpness = 3;
/**
 * Shares of the lexical score: task-relevance.ts (names and paths), identifier-bm25.ts (every
 * name a file defines or uses) and text-bm25.ts (its full text, when given). Tuned on the tuning
 * half of bench:rank only: without text 0.656 MRR; names/identifiers/text 0.2/0.5/0.3,
 * 0.2/0.3/0.5, 0.35/0.4/0.25, 0.4/0.3/0.3 gave 0.666–0.684; 0.4/0.2/0.4 gave 0.692.
 */
const sharesWithText = { names: 0.4, identifiers: 0.2, text: 0.4 };
const sharesWithoutText = { names: 0.5, identifiers: 0.5, text: 0 };
/** How much of the best entry's rank the best lexical match adds to its file's lead entry. */
const fileBoost = 1;
const fileBoostSharpness = 2;
const symbolMatchWeight = 2;
const leadWeight = 10;
const iterations = 40;

/** Member names every runtime has; a file using `.length` does not depend on whoever defines one. */
const builtinMembers = new Set(
  (
    "length toString valueOf constructor prototype push pop shift map filter reduce forEach find some every " +
    "get set has add delete keys values entries then catch finally error message name value type data text " +
    "size id key split join trim slice replace match test exec call apply bind close open read write start " +
    "end next done run init update append format items copy clear sort index count result options config " +
    "path file line lines content code status parse encode decode from to on off emit send log info warn debug"
  ).split(" "),
);

function identifierWeight(name: string, definers: number, mentioned: boolean, referrers: number): number {
  let weight = 1;
  // \`length\`, \`error\`, \`then\`: plain lowercase words used all over are member names of the
  // language, whatever one file happens to define under that name.
  if (/^[a-z]+$/.test(name) && referrers > 10 && !mentioned) weight *= 0.1;
  if (builtinMembers.has(name) && !mentioned) weight *= 0.05;
  if (mentioned) weight *= 10;
  const descriptive = name.length >= 8 && (/[a-z][A-Z]/.test(name) || name.includes("_"));
  if (descriptive) weight *= 10;
  if (name.startsWith("_")) weight *= 0.1;
  // A name defined in many files (`get`, `name`, `run`) says little about which one is meant.
  if (definers > 5) weight *= 0.1;
  return weight;
}

function qualifiedName(symbol: RepoSymbol): string {
  return symbol.container ? `${symbol.container}.${symbol.name}` : symbol.name;
}

/**
 * Tests and fixtures: still shown, but after the code they exercise. `playground/` is where
 * JavaScript monorepos (vite, vitest, vue) keep the example projects their end-to-end tests run.
 */
export function isTestPath(path: string): boolean {
  return (
    /(^|\/)(test|tests|__tests__|spec|fixtures|testdata|playground)\//.test(path) ||
    /(\.test|\.spec|_test)\.[a-z]+$/.test(path) ||
    /(^|\/)test_[^/]+\.py$/.test(path)
  );
}

/**
 * Documentation and examples, by GitHub Linguist's documentation rules (lib/linguist/
 * documentation.yml: `docs/`, `doc/`, `examples/`, `demo/` at the top, `documentation/`
 * anywhere): code there illustrates the project rather than implements it.
 */
export function isDocumentationPath(path: string): boolean {
  return /^([Dd]ocs?|[Ee]xamples|[Dd]emos?|[Mm]an)\/|(^|\/)[Dd]ocumentation\//.test(path);
}

/** Tests, fixtures, documentation and examples: ranked after the code a task is about. */
export function isAsidePath(path: string): boolean {
  return isTestPath(path) || isDocumentationPath(path);
}

export function rankRepo(request: RankRequest): RankResult {
  const files = request.files;
  const mentioned = request.mentionedIdentifiers ?? new Set<string>();
  const focus = new Set(request.focusFiles ?? []);
  const mentionedPaths = request.mentionedPaths ?? new Set<string>();

  const mentionedHere = (file: IndexedFile): Set<string> => {
    const names = new Set<string>();
    if (mentioned.size === 0) return names;
    for (const symbol of file.symbols) if (mentioned.has(symbol.name)) names.add(symbol.name);
    return names;
  };

  const definers = new Map<string, number[]>();
  files.forEach((file, position) => {
    const seen = new Set<string>();
    for (const symbol of file.symbols) {
      if (seen.has(symbol.name)) continue;
      seen.add(symbol.name);
      let list = definers.get(symbol.name);
      if (!list) {
        list = [];
        definers.set(symbol.name, list);
      }
      list.push(position);
    }
  });

  const referrers = new Map<string, number>();
  for (const file of files) {
    for (const name of file.references)
      if (definers.has(name)) referrers.set(name, (referrers.get(name) ?? 0) + 1);
  }

  // Edges per source file: [target, identifier, weight].
  const edges: Array<Array<[number, string, number]>> = files.map(() => []);
  const outWeight = new Float64Array(files.length);
  files.forEach((file, source) => {
    const fromFocus = focus.has(file.path) ? 10 : 1;
    for (const name of file.references) {
      const targets = definers.get(name);
      if (!targets) continue;
      const weight =
        (fromFocus * identifierWeight(name, targets.length, mentioned.has(name), referrers.get(name) ?? 0)) /
        targets.length;
      for (const target of targets) {
        if (target === source) continue;
        edges[source]!.push([target, name, weight]);
        outWeight[source]! += weight;
      }
    }
  });

  // Personalisation: focus files, mentioned paths, and how well the task's words match each
  // file's path and definitions. The best lexical match weighs as much as a path the task names.
  const relevance = request.taskTerms
    ? taskRelevance(files, request.taskTerms)
    : taskRelevance(files, { words: new Set(), wholes: new Set(), qualified: [] });
  const words = request.taskTerms?.words ?? new Set<string>();
  const bag = identifierBm25(files, words);
  const text = request.texts ? textBm25(request.texts, words) : null;
  const shares = text ? sharesWithText : sharesWithoutText;
  // A repository that is all tests or examples still has code a task is about: then nothing is aside.
  const aside = files.some((file) => !isAsidePath(file.path)) ? isAsidePath : () => false;
  // Maxima over the code a task is about: a test or an example that matches best sets no scale.
  let bestName = 0;
  let bestBag = 0;
  let bestText = 0;
  files.forEach((file, position) => {
    if (aside(file.path)) return;
    bestName = Math.max(bestName, relevance.fileScores[position]!);
    bestBag = Math.max(bestBag, bag[position]!);
    if (text) bestText = Math.max(bestText, text[position]!);
  });
  const lexical = new Float64Array(files.length);
  for (let position = 0; position < files.length; position++)
    lexical[position] =
      shares.names * (bestName > 0 ? relevance.fileScores[position]! / bestName : 0) +
      shares.identifiers * (bestBag > 0 ? bag[position]! / bestBag : 0) +
      shares.text * (text && bestText > 0 ? text[position]! / bestText : 0);
  let bestLexical = 0;
  files.forEach((file, position) => {
    if (!aside(file.path) && lexical[position]! > bestLexical) bestLexical = lexical[position]!;
  });
  const personal = new Float64Array(files.length);
  let personalTotal = 0;
  files.forEach((file, position) => {
    let weight = 0;
    if (focus.has(file.path)) weight += 10;
    if (mentionedPaths.has(file.path)) weight += 10;
    // Tests mention everything they test; they are shown, but the task rarely points at them.
    if (bestLexical > 0 && !aside(file.path))
      weight += lexicalWeight * (lexical[position]! / bestLexical) ** lexicalSharpness;
    // Files defining what the task names are where the work is likely to happen.
    for (const name of mentionedHere(file)) {
      const kind = Math.max(
        ...file.symbols.filter((symbol) => symbol.name === name).map((symbol) => kindWeight(symbol.kind)),
      );
      weight += (5 * kind) / (definers.get(name)?.length ?? 1);
    }
    personal[position] = weight;
    personalTotal += weight;
  });
  const personalised = personalTotal > 0;
  if (personalTotal === 0) {
    personal.fill(1 / Math.max(1, files.length));
  } else {
    for (let position = 0; position < files.length; position++) personal[position]! /= personalTotal;
  }

  let rank = Float64Array.from(personal);
  for (let iteration = 0; iteration < iterations; iteration++) {
    const next = new Float64Array(files.length);
    let dangling = 0;
    for (let source = 0; source < files.length; source++) {
      const value = rank[source]!;
      const total = outWeight[source]!;
      if (total === 0) {
        dangling += value;
        continue;
      }
      for (const [target, , weight] of edges[source]!) next[target]! += (damping * value * weight) / total;
    }
    const teleport = 1 - damping + damping * dangling;
    let delta = 0;
    for (let position = 0; position < files.length; position++) {
      next[position]! += teleport * personal[position]!;
      delta += Math.abs(next[position]! - rank[position]!);
    }
    rank = next;
    if (delta < 1e-9) break;
  }

  // Definition ranks: what flows along edges, plus a small share of the file's own rank so that
  // unreferenced definitions of important files still come before those of unimportant ones.
  const definitionRank = new Map<string, number>();
  for (let source = 0; source < files.length; source++) {
    const total = outWeight[source]!;
    if (total === 0) continue;
    for (const [target, name, weight] of edges[source]!) {
      const key = `${target}\u0000${name}`;
      definitionRank.set(key, (definitionRank.get(key) ?? 0) + (rank[source]! * weight) / total);
    }
  }

  const fileRanks = new Map<string, number>();
  const entries: RankedEntry[] = [];
  // Generated, vendored, minified, lockfile, data and undecodable files come after all the rest,
  // whatever their rank, unless the task or focus names them: hundreds of them never crowd out code.
  const junkEntries: RankedEntry[] = [];
  files.forEach((file, position) => {
    const fileRank = rank[position]!;
    fileRanks.set(file.path, fileRank);
    if (file.junk && !focus.has(file.path) && !mentionedPaths.has(file.path)) {
      junkEntries.push({ file: file.path, symbol: null, rank: fileRank * 0.5 });
      return;
    }
    if (file.symbols.length === 0) {
      entries.push({ file: file.path, symbol: null, rank: fileRank * 0.5 });
      return;
    }
    const base = (fileRank * 0.1) / file.symbols.length;
    const topLevel = Math.max(1, file.symbols.filter((symbol) => !symbol.container).length);
    const testLike = aside(file.path);
    const kindOf = new Map(file.symbols.map((symbol) => [qualifiedName(symbol), symbol.kind]));
    for (const symbol of file.symbols) {
      let value = (definitionRank.get(`${position}\u0000${symbol.name}`) ?? 0) + base;
      // A name the task spells out counts by what it names: a function more than a property.
      const weight = kindWeight(symbol.kind);
      if (mentioned.has(symbol.name)) value = value * (1 + 9 * weight) + fileRank * weight;
      const match = relevance.symbolMatch(symbol);
      if (match > 0) value += fileRank * weight * match * symbolMatchWeight;
      // Where the task points, the file's own API leads, ahead of the hubs the graph favours.
      if (personalised && personal[position]! > 0 && !symbol.container)
        value += (leadWeight * personal[position]! * weight) / Math.sqrt(topLevel);
      if (focus.has(file.path) || mentionedPaths.has(file.path)) value += fileRank;
      // Members are shown under their type; the type itself should not rank below them.
      if (symbol.kind === "field" || symbol.kind === "property" || symbol.kind === "variable") value *= 0.5;
      // Module-level `let repo = …` and friends are rarely what a planner needs; CONSTANTS may be.
      if (symbol.kind === "constant" && !/^[A-Z0-9_]+$/.test(symbol.name)) value *= 0.3;
      if (testLike && !focus.has(file.path) && !mentionedPaths.has(file.path)) value *= 0.5;
      // Helpers local to a function body are implementation detail.
      const containerKind = symbol.container ? kindOf.get(symbol.container) : undefined;
      if (containerKind === "function" || containerKind === "method") value *= 0.2;
      entries.push({ file: file.path, symbol, rank: value });
    }
  });
  // The file the task's words point at most leads the map: each non-test file's best entry gets
  // a share of the best entry's rank by its lexical score, so the graph orders what the words
  // leave undecided.
  if (bestLexical > 0 && entries.length > 0) {
    let top = 0;
    const bestEntry = new Map<string, RankedEntry>();
    for (const entry of entries) {
      if (entry.rank > top) top = entry.rank;
      const known = bestEntry.get(entry.file);
      if (!known || entry.rank > known.rank) bestEntry.set(entry.file, entry);
    }
    const positionOf = new Map(files.map((file, position) => [file.path, position]));
    for (const [path, entry] of bestEntry) {
      if (aside(path)) continue;
      const share = lexical[positionOf.get(path)!]! / bestLexical;
      entry.rank += top * fileBoost * share ** fileBoostSharpness;
    }
  }
  entries.sort(
    (a, b) =>
      b.rank - a.rank ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      (a.symbol?.line ?? 0) - (b.symbol?.line ?? 0),
  );
  junkEntries.sort((a, b) => b.rank - a.rank || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const entry of junkEntries) entries.push(entry);
  return { fileRanks, entries };
}
