/** Token counting: real tokenizers per model family, a calibrated fallback, exact remote counts. */
export type { TokenCounter } from "./counter.js";
export { type CountResult, countTokensExact } from "./exact-count.js";
export { estimateTokens, heuristicCounter } from "./heuristic.js";
export { encodeWith, realTokenizer, type TokenizerId, tokenUpperBound } from "./real-tokenizers.js";
export { claudeScale, defaultTokenCounter, tokenCounterFor } from "./select.js";
