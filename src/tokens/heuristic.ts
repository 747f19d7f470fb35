/**
 * The fallback token estimate for models without a tokenizer here. It mimics how modern BPE
 * tokenizers pre-split text (letter runs, digit groups, punctuation runs, whitespace runs) and
 * charges each piece a cost fitted on real code and prose against o200k, Llama 3, Qwen,
 * DeepSeek V3, Gemma 3 and Mistral tokenizers (see `bench/index-tokens.ts` for the fit and
 * the measured error, which the README reports).
 */
import type { TokenCounter } from "./counter.js";

export interface HeuristicWeights {
  /** Letters per token inside a word (long identifiers split into several tokens). */
  lettersPerToken: number;
  /** Tokens per punctuation/symbol character. */
  punctuation: number;
  /** Tokens per whitespace run containing a newline. */
  newlineRun: number;
  /** Tokens per other whitespace run longer than one space (indentation inside lines). */
  spaceRun: number;
  /** Tokens per digit. */
  digit: number;
  /** Tokens per non-ASCII letter (CJK and friends are roughly one token each, or more). */
  nonAscii: number;
}

/** Fitted by bench/index-tokens.ts (least absolute percentage error over the sample). */
export const defaultWeights: HeuristicWeights = {
  lettersPerToken: 9.37,
  punctuation: 0.718,
  newlineRun: 1.13,
  spaceRun: 1.41,
  digit: 1.09,
  nonAscii: 0.73,
};

const piece = /([A-Za-z]+)|([0-9]+)|(\s+)|([\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]+)|([^\x00-\x7f]+)/g;

export function estimateTokens(text: string, weights: HeuristicWeights = defaultWeights): number {
  let total = 0;
  for (const match of text.matchAll(piece)) {
    if (match[1] !== undefined) {
      total += Math.max(1, Math.ceil(match[1].length / weights.lettersPerToken));
    } else if (match[2] !== undefined) {
      total += match[2].length * weights.digit;
    } else if (match[3] !== undefined) {
      const run = match[3];
      if (run.includes("\n")) total += weights.newlineRun;
      else if (run.length > 1) total += weights.spaceRun;
    } else if (match[4] !== undefined) {
      total += match[4].length * weights.punctuation;
    } else if (match[5] !== undefined) {
      total += match[5].length * weights.nonAscii;
    }
  }
  return Math.round(total);
}

export function heuristicCounter(
  name = "heuristic",
  scale = 1,
  weights: HeuristicWeights = defaultWeights,
): TokenCounter {
  return {
    name,
    exact: false,
    count: (text) => Math.round(estimateTokens(text, weights) * scale),
  };
}
