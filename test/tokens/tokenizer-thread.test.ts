/**
 * `prepare()` builds a real tokenizer on a worker thread and `count` asks it synchronously: the
 * counts must be exactly the in-process tokenizer's, through the built module (dist, where the
 * thread's file exists) and through the sources (no compiled thread file: the counter falls back
 * to building in-process).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  countsOnThread,
  encodeWith,
  realTokenizer,
  type TokenizerId,
} from "../../src/tokens/real-tokenizers.js";

const built = resolve(import.meta.dirname, "../../dist/tokens/real-tokenizers.js");
const samples = [
  "",
  "export const value16 = 17;\n",
  "def für_alle(x):\n    return x  # héllo wörld 你好 🚀\n",
  "<|endoftext|> literal special text\n".repeat(20),
];

describe("tokenizer on a background thread", () => {
  it.runIf(existsSync(built))(
    "counts exactly as the in-process tokenizer (built module, thread)",
    async () => {
      const module = (await import(pathToFileURL(built).href)) as {
        realTokenizer(id: TokenizerId): { count(text: string): number; prepare?(): void };
      };
      for (const id of ["qwen", "o200k_base"] as const) {
        const counter = module.realTokenizer(id);
        counter.prepare?.();
        for (const text of samples) expect(counter.count(text)).toBe(encodeWith(id, text).length);
      }
    },
    60_000,
  );

  it("falls back to the in-process tokenizer when the thread cannot start (sources)", () => {
    const counter = realTokenizer("qwen");
    counter.prepare?.();
    for (const text of samples) expect(counter.count(text)).toBe(encodeWith("qwen", text).length);
    expect(countsOnThread("qwen")).toBe(false);
  }, 60_000);
});
