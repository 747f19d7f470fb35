/**
 * How strongly a task's words point at each file, BM25-style: a file is a document made of its
 * path (its own name counting most, then its folders) and the names it defines (functions and
 * classes counting more than types, types more than fields and variables). Words found in few
 * files weigh more than words found everywhere, so "ollama" outweighs "provider" and both
 * outweigh "file". A definition whose whole name the task spells out (`DictWriter`, or "rotating
 * file handler" for `RotatingFileHandler`) is a term of its own, as rare as that name is.
 */
import { pathTerms, splitIdentifier, type TaskTerms, wholeTerm } from "./task-terms.js";
import type { IndexedFile, RepoSymbol, SymbolKind } from "./types.js";

/** Definitions a planner works with first; members and variables are details of those. */
export function kindWeight(kind: SymbolKind): number {
  switch (kind) {
    case "function":
    case "method":
    case "class":
    case "interface":
    case "struct":
    case "trait":
    case "enum":
    case "module":
    case "macro":
      return 1;
    case "type":
      return 0.7;
    case "constant":
      return 0.5;
    default:
      return 0.3;
  }
}

export interface TaskRelevance {
  /** Per file (same order as the input): BM25 score of the file for the task; 0 = no match. */
  fileScores: Float64Array;
  /** 0–1: how well a definition's name matches the task (1: named whole). */
  symbolMatch(symbol: RepoSymbol): number;
}

const saturation = 1.2;
const stemWeight = 3;
const stemWholeWeight = 4;
const folderWeight = 1.5;
const wholeNameWeight = 3;
const qualifiedWeight = 6;
/** BM25's length normalisation: a file defining 400 names matches every word a little. */
const lengthNormalisation = 0.5;

function meaningfulParts(name: string, words: ReadonlySet<string>, wholes: ReadonlySet<string>) {
  const parts = splitIdentifier(name).filter((part) => part.length >= 2);
  const matched = parts.filter((part) => words.has(part));
  const whole = wholeTerm(name);
  const namedWhole =
    wholes.has(whole) || (parts.length >= 2 && matched.length === parts.length && whole.length >= 6);
  return { parts, matched, whole, namedWhole };
}

export function taskRelevance(files: readonly IndexedFile[], terms: TaskTerms): TaskRelevance {
  const fileScores = new Float64Array(files.length);
  const none: TaskRelevance = { fileScores, symbolMatch: () => 0 };
  if (terms.words.size === 0 && terms.wholes.size === 0) return none;
  const qualifiers = new Map<string, Set<string>>();
  for (const [qualifier, name] of terms.qualified) {
    const names = qualifiers.get(qualifier) ?? new Set<string>();
    names.add(name);
    qualifiers.set(qualifier, names);
  }

  // Term frequencies per file, keyed by term ("w:" task word, "n:" whole definition name).
  const frequencies: Array<Map<string, number>> = files.map((file) => {
    const tf = new Map<string, number>();
    const add = (term: string, weight: number) => tf.set(term, (tf.get(term) ?? 0) + weight);
    const path = pathTerms(file.path);
    for (const part of path.stem) if (terms.words.has(part)) add(`w:${part}`, stemWeight);
    if (
      terms.wholes.has(path.stemWhole) ||
      (path.stem.length > 1 && path.stem.every((part) => terms.words.has(part)))
    )
      add(`n:${path.stemWhole}`, stemWholeWeight);
    for (const part of path.folders) if (terms.words.has(part)) add(`w:${part}`, folderWeight);
    // `json.dumps`: this file is json (or in it) and defines dumps; `Queue.get`: Queue's get.
    const moduleNames = qualifiers.size > 0 ? new Set([path.stemWhole, ...path.folders]) : null;
    for (const symbol of file.symbols) {
      const weight = kindWeight(symbol.kind);
      const { parts, matched, whole, namedWhole } = meaningfulParts(symbol.name, terms.words, terms.wholes);
      if (namedWhole) add(`n:${whole}`, weight * wholeNameWeight);
      if (moduleNames) {
        const owner = symbol.container ? wholeTerm(symbol.container.split(".").pop() ?? "") : null;
        for (const [qualifier, names] of qualifiers) {
          if (!names.has(whole)) continue;
          if ((owner && owner === qualifier) || (!symbol.container && moduleNames.has(qualifier)))
            add(`q:${qualifier}.${whole}`, qualifiedWeight);
        }
      }
      if (matched.length === 0) continue;
      const share = weight / Math.sqrt(parts.length);
      for (const part of matched) add(`w:${part}`, share);
    }
    return tf;
  });

  const documentFrequency = new Map<string, number>();
  for (const tf of frequencies)
    for (const term of tf.keys()) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  const total = Math.max(1, files.length);
  const lengths = files.map((file) => 1 + file.symbols.length);
  const averageLength = lengths.reduce((sum, length) => sum + length, 0) / total;
  const idf = (term: string) => Math.log(1 + total / (documentFrequency.get(term) ?? total));
  frequencies.forEach((tf, position) => {
    const k =
      saturation *
      (1 - lengthNormalisation + (lengthNormalisation * (lengths[position] ?? 1)) / averageLength);
    let score = 0;
    for (const [term, frequency] of tf)
      score += (idf(term) * (frequency * (saturation + 1))) / (frequency + k);
    fileScores[position] = score;
  });

  const maxIdf = Math.log(1 + total);
  const cache = new Map<string, number>();
  return {
    fileScores,
    symbolMatch(symbol) {
      const known = cache.get(symbol.name);
      if (known !== undefined) return known;
      const { parts, matched, whole, namedWhole } = meaningfulParts(symbol.name, terms.words, terms.wholes);
      let match = 0;
      if (namedWhole) match = Math.max(0.5, idf(`n:${whole}`) / maxIdf);
      else if (matched.length > 0) {
        const best = Math.max(...matched.map((part) => idf(`w:${part}`)));
        match = (0.5 * matched.length * best) / (parts.length * maxIdf);
      }
      cache.set(symbol.name, match);
      return match;
    },
  };
}
