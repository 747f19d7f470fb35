/** How many tokens a text costs for a given model; `name` says which tokenizer or estimate. */
export interface TokenCounter {
  /** e.g. "o200k_base", "llama3", "heuristic", "claude-estimate". */
  name: string;
  /** True when this is the model's real tokenizer, false for an estimate. */
  exact: boolean;
  count(text: string): number;
  /**
   * Starts loading the tokenizer in the background (real tokenizers only), for callers that will
   * certainly count; `count` stays exact and synchronous either way.
   */
  prepare?(): void;
  /**
   * A sound upper bound of `count(text)` computed without the tokenizer (real tokenizers only:
   * `tokenUpperBound` in real-tokenizers.ts). Callers that only need to know that a text fits a
   * budget use it first and count exactly only when the bound does not settle the question, so a
   * small prompt never waits for a vocabulary to load.
   */
  atMost?(text: string): number;
}
