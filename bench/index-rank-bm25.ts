/**
 * The reference ranking `bench:rank` compares the repository map with: Okapi BM25 over each file's
 * full text plus BM25 over its path, the way a plain search engine (or `rg`-then-sort) would pick
 * files for a task. Terms are identifier parts, lower-cased: `DictWriter` → `dictwriter`, `dict`,
 * `writer`; `copy_tree` → `copy_tree`, `copy`, `tree`. Parameters are the textbook ones
 * (k1 = 1.2, b = 0.75; Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and
 * Beyond", 2009), with the non-negative IDF log(1 + (N − n + 0.5) / (n + 0.5)) as in Lucene.
 * Path terms count `pathWeight` times a text term (a file named after the task is a strong hint,
 * which is what "path matching" means for the baseline).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const k1 = 1.2;
const b = 0.75;
const pathWeight = 3;

/** Lucene's English stop words (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET), unchanged. */
const stopWords = new Set(
  (
    "a an and are as at be but by for if in into is it no not of on or such that the their then there " +
    "these they this to was will with"
  ).split(" "),
);

/** Identifier parts of a text, lower-cased, each occurrence once (a bag of words). */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const word of text.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []) {
    const whole = word.toLowerCase();
    const parts = word
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
      .split(/[\s_$]+/)
      .map((part) => part.toLowerCase())
      .filter((part) => part.length >= 2);
    if (whole.length >= 2 && !stopWords.has(whole)) out.push(whole);
    for (const part of parts) if (part !== whole && !stopWords.has(part)) out.push(part);
  }
  return out;
}

interface Field {
  /** Term frequencies per document. */
  frequencies: Array<Map<string, number>>;
  lengths: number[];
  averageLength: number;
  documentFrequency: Map<string, number>;
}

function buildField(documents: string[][]): Field {
  const frequencies = documents.map((words) => {
    const counts = new Map<string, number>();
    for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
    return counts;
  });
  const lengths = documents.map((words) => words.length);
  const averageLength = lengths.reduce((sum, length) => sum + length, 0) / Math.max(1, lengths.length);
  const documentFrequency = new Map<string, number>();
  for (const counts of frequencies)
    for (const word of counts.keys()) documentFrequency.set(word, (documentFrequency.get(word) ?? 0) + 1);
  return { frequencies, lengths, averageLength, documentFrequency };
}

function score(field: Field, query: string[], document: number): number {
  const total = field.frequencies.length;
  const counts = field.frequencies[document]!;
  const length = field.lengths[document]!;
  let sum = 0;
  for (const word of query) {
    const frequency = counts.get(word);
    if (!frequency) continue;
    const n = field.documentFrequency.get(word) ?? 0;
    const idf = Math.log(1 + (total - n + 0.5) / (n + 0.5));
    sum +=
      (idf * frequency * (k1 + 1)) /
      (frequency + k1 * (1 - b + (b * length) / Math.max(1, field.averageLength)));
  }
  return sum;
}

export interface Bm25Index {
  /** Repo-relative paths, best first, for a task text. */
  rank(task: string): string[];
}

/** Indexes the given files of `root` (read as UTF-8; unreadable files count as empty). */
export function bm25Index(root: string, paths: string[]): Bm25Index {
  const text = buildField(
    paths.map((path) => {
      try {
        return terms(readFileSync(join(root, path), "utf8"));
      } catch {
        return [];
      }
    }),
  );
  const pathField = buildField(paths.map((path) => terms(path.replace(/\.[A-Za-z0-9]+$/, ""))));
  return {
    rank(task: string): string[] {
      const query = [...new Set(terms(task))];
      const scored = paths.map((path, document) => ({
        path,
        value: score(text, query, document) + pathWeight * score(pathField, query, document),
      }));
      scored.sort((x, y) => y.value - x.value || (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
      return scored.map((entry) => entry.path);
    },
  };
}
