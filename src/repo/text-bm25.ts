/**
 * A third lexical signal for the repository map: Okapi BM25 over each code file's full text —
 * comments, docstrings and string literals included. Names say what a file defines and uses;
 * its text also says what it reports and documents: pylint's `use-yield-from` message lives in a
 * string of `refactoring_checker.py`, "Do not count trailing tool pragmas toward line-too-long"
 * is about the file whose strings say `line-too-long` and whose comments say "pragma".
 *
 * Only the task's words are looked for, so nothing is tokenised in advance: a term occurs where a
 * word part starts with it — after a character that is not a letter or digit (any case:
 * `yield`, `Yield`, `YIELD`), or as a capitalised camelCase part after a lower-case letter or
 * digit (`useYieldFrom`). Task words are stemmed (task-terms.ts), so a stem matches its longer
 * forms as a prefix (`unpack` in "unpacking"). Document length is the text's length in
 * characters. Parameters are the textbook ones (bm25Weight in identifier-bm25.ts; Robertson & Zaragoza, "The
 * Probabilistic Relevance Framework: BM25 and Beyond", 2009) with Lucene's non-negative IDF
 * log(1 + (N − n + 0.5) / (n + 0.5)).
 */
import { join } from "node:path";
import { bm25Idf, bm25Weight } from "./identifier-bm25.js";
import { readRepoFile } from "./safe-read.js";
import type { IndexedFile } from "./types.js";

/** Larger files are left out of the text signal (they are generated or data in all but name). */
export const maxTextBytes = 1 << 20;

/**
 * The texts `textBm25` scores, per file in `files` order: the content of every parsed code file
 * (a language, not junk, at most `maxTextBytes`) read from `repoRoot` the way the index reads it
 * (no final symlink followed), "" for anything else or what cannot be read. Synchronous: about
 * 25 MB for a 4,000-file repository.
 */
export function readTexts(repoRoot: string, files: readonly IndexedFile[]): string[] {
  return files.map((file) => {
    if (!file.language || file.junk || file.size > maxTextBytes) return "";
    try {
      return readRepoFile(join(repoRoot, file.path)).toString("utf8");
    } catch {
      return "";
    }
  });
}

/**
 * Per text (same order as `texts`): BM25 score for the task words `words` (stemmed, as
 * `taskTerms(task).words`; words shorter than 3 characters are ignored: "io", "os" start too
 * many word parts); 0 when nothing matches. O(total text × words); no I/O.
 */
export function textBm25(texts: readonly string[], words: ReadonlySet<string>): Float64Array {
  const scores = new Float64Array(texts.length);
  const terms = [...words].filter((word) => word.length >= 3 && /^[a-z0-9]+$/.test(word));
  if (terms.length === 0 || texts.length === 0) return scores;
  // Every occurrence in any case (terms are [a-z0-9]+: nothing to escape); those that do not
  // start a word part are dropped below.
  const patterns = terms.map((term) => new RegExp(term, "gi"));
  const counts: Uint32Array[] = terms.map(() => new Uint32Array(texts.length));
  let totalLength = 0;
  texts.forEach((text, position) => {
    totalLength += text.length;
    if (text.length === 0) return;
    patterns.forEach((pattern, index) => {
      pattern.lastIndex = 0;
      let count = 0;
      for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
        const at = match.index;
        const before = at > 0 ? text.charCodeAt(at - 1) : 32;
        const first = text.charCodeAt(at);
        const boundary = !isAlphanumeric(before) || (isLowerOrDigit(before) && first >= 65 && first <= 90);
        if (boundary) count++;
      }
      counts[index]![position] = count;
    });
  });
  const total = texts.length;
  const averageLength = Math.max(1, totalLength / total);
  counts.forEach((perText) => {
    let n = 0;
    for (const count of perText) if (count > 0) n++;
    if (n === 0) return;
    const idf = bm25Idf(total, n);
    perText.forEach((frequency, position) => {
      if (frequency === 0) return;
      scores[position]! += bm25Weight(idf, frequency, texts[position]!.length, averageLength);
    });
  });
  return scores;
}

function isAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isLowerOrDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 122);
}
