/**
 * Picks the tokenizer for a model from its name, or from the family Ollama reports
 * (`details.family`: "llama", "qwen2", "qwen3", "gemma3", "deepseek2"…) when the name says
 * nothing. Unknown models get the calibrated heuristic; Claude models get a Claude-scaled
 * heuristic (no Claude tokenizer is published; exact counts need the count_tokens endpoint).
 */
import type { TokenCounter } from "./counter.js";
import { heuristicCounter } from "./heuristic.js";
import { realTokenizer, type TokenizerId } from "./real-tokenizers.js";

/**
 * Claude's tokenizer yields more tokens than o200k on the same code. Anthropic has not published
 * it, so this factor is an assumption (not measured here); `countTokensExact` replaces it
 * whenever an Anthropic provider is available.
 */
export const claudeScale = 1.2;

function byName(model: string): TokenizerId | "claude" | null {
  const name = model.toLowerCase();
  // DeepSeek-R1 distills keep their base model's vocabulary; the family decides those.
  if (/deepseek-r1[-:]?(1\.5b|7b|8b|14b|32b|70b)/.test(name)) return null;
  if (name.includes("claude")) return "claude";
  if (
    /(^|[/:])(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o1|o3|o4|chatgpt|codex)/.test(name) ||
    name.startsWith("codex")
  ) {
    return "o200k_base";
  }
  if (/(^|[/:])gpt-(4|3\.5)/.test(name)) return "cl100k_base";
  if (/llama-?3/.test(name)) return "llama3";
  if (/qwen|qwq/.test(name)) return "qwen";
  if (name.includes("deepseek")) return "deepseek_v3";
  if (name.includes("gemma")) return "gemma3";
  if (/mixtral|mistral-7b-v0\.1/.test(name)) return "mistral_v1";
  if (
    /nemo|mistral-small|ministral|devstral|pixtral|magistral|mistral-medium|mistral-large-2411/.test(name)
  ) {
    return "mistral_tekken";
  }
  if (/mistral|codestral/.test(name)) return "mistral_v3";
  return null;
}

function byFamily(family: string): TokenizerId | null {
  const name = family.toLowerCase();
  if (name === "llama" || name.startsWith("llama3")) return "llama3";
  if (name.startsWith("qwen")) return "qwen";
  if (name.startsWith("deepseek")) return "deepseek_v3";
  if (name.startsWith("gemma")) return "gemma3";
  if (name.startsWith("mistral")) return "mistral_v3";
  if (name.startsWith("gpt")) return "o200k_base";
  return null;
}

const cache = new Map<string, TokenCounter>();

export function tokenCounterFor(model: string, family?: string): TokenCounter {
  const key = `${model}\u0000${family ?? ""}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const named = byName(model);
  let counter: TokenCounter;
  if (named === "claude") counter = heuristicCounter("claude-estimate", claudeScale);
  else {
    const id = named ?? (family ? byFamily(family) : null);
    counter = id ? realTokenizer(id) : heuristicCounter();
  }
  cache.set(key, counter);
  return counter;
}

/** The counter used when no model is known: the calibrated heuristic. */
export function defaultTokenCounter(): TokenCounter {
  return tokenCounterFor("");
}
