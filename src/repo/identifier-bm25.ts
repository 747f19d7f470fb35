/**
 * A second lexical signal for the repository map: Okapi BM25 over each file's identifier bag —
 * the parts of every name the file defines or uses (its index `symbols` and `references`) plus
 * the parts of its path — scored against the task's words. Where task-relevance.ts asks "does
 * this file's name or API say what the task says", this asks "is this file's code about what the
 * task says": `urlopen`, `Request` and `user_agent` used all over `urllib/request.py` point at it
 * even though its own definitions are named otherwise. Built only from what the index already
 * stores (no file is read), so it costs one pass over the names per ranking.
 *
 * Parameters are the textbook ones (k1 = 1.2, b = 0.75; Robertson & Zaragoza, "The Probabilistic
 * Relevance Framework: BM25 and Beyond", 2009) with Lucene's non-negative IDF
 * log(1 + (N − n + 0.5) / (n + 0.5)). Terms are those of task-terms.ts (split at camelCase,
 * snake_case, kebab-case and digits, lower-cased, lightly stemmed), so both sides agree.
 */
import { pathTerms, splitIdentifier } from "./task-terms.js";
import type { IndexedFile } from "./types.js";

const k1 = 1.2;
const b = 0.75;

/** BM25's idf of a term found in `n` of `total` documents (the +1 form, never negative). */
export function bm25Idf(total: number, n: number): number {
  return Math.log(1 + (total - n + 0.5) / (n + 0.5));
}

/**
 * BM25's weight of one term: its `idf`, seen `frequency` times in a document of `length` (any
 * unit, the same as `averageLength`), with the textbook k1 and b above.
 */
export function bm25Weight(idf: number, frequency: number, length: number, averageLength: number): number {
  const norm = k1 * (1 - b + (b * length) / averageLength);
  return (idf * frequency * (k1 + 1)) / (frequency + norm);
}
/** A path part counts this many times an identifier part: the file's name is a strong hint. */
const pathWeight = 3;

/**
 * Per file (same order as `files`): BM25 score of its identifier bag for the task words `words`
 * (stemmed, as `taskTerms(task).words`); 0 when nothing matches. Document length is the number
 * of identifier parts in the bag. Runs in O(total names); no I/O.
 */
export function identifierBm25(files: readonly IndexedFile[], words: ReadonlySet<string>): Float64Array {
  const scores = new Float64Array(files.length);
  if (words.size === 0 || files.length === 0) return scores;
  const frequencies: Array<Map<string, number> | null> = [];
  const lengths = new Float64Array(files.length);
  const documentFrequency = new Map<string, number>();
  let totalLength = 0;
  files.forEach((file, position) => {
    let tf: Map<string, number> | null = null;
    let length = 0;
    const addName = (name: string, weight: number) => {
      const parts = splitIdentifier(name);
      for (const part of parts) {
        length += weight;
        if (!words.has(part)) continue;
        tf ??= new Map();
        tf.set(part, (tf.get(part) ?? 0) + weight);
      }
    };
    for (const symbol of file.symbols) addName(symbol.name, 1);
    for (const name of file.references) addName(name, 1);
    const path = pathTerms(file.path);
    for (const part of [...path.stem, ...path.folders]) {
      length += pathWeight;
      if (!words.has(part)) continue;
      tf ??= new Map();
      tf.set(part, (tf.get(part) ?? 0) + pathWeight);
    }
    frequencies.push(tf);
    lengths[position] = length;
    totalLength += length;
    if (tf)
      for (const term of (tf as Map<string, number>).keys())
        documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  });
  const total = files.length;
  const averageLength = Math.max(1, totalLength / total);
  const idf = new Map<string, number>();
  for (const [term, n] of documentFrequency) idf.set(term, bm25Idf(total, n));
  frequencies.forEach((tf, position) => {
    if (!tf) return;
    let score = 0;
    for (const [term, frequency] of tf)
      score += bm25Weight(idf.get(term)!, frequency, lengths[position]!, averageLength);
    scores[position] = score;
  });
  return scores;
}
