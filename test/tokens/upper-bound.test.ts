/**
 * `tokenUpperBound` (src/tokens/real-tokenizers.ts) must never undercount: the drafter's prompt is
 * sent on its strength without the exact tokenizer (src/pipeline/draft.ts, model-call.ts). Checked
 * for every tokenizer family shipped, against its real vocabulary, on real text (this
 * repository's sources and README, the multi-language fixtures, gpt-tokenizer's test plans) and on
 * generated text built from the characters where a bound could break: non-ASCII, characters NFC
 * lengthens (Qwen normalizes to NFC), combining marks, emoji, CJK, special-token spellings,
 * whitespace runs, lone surrogates.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeWith,
  realTokenizer,
  type TokenizerId,
  tokenUpperBound,
} from "../../src/tokens/real-tokenizers.js";

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, "..", "..");

const families: TokenizerId[] = [
  "o200k_base",
  "cl100k_base",
  "llama3",
  "qwen",
  "deepseek_v3",
  "gemma3",
  "mistral_v1",
  "mistral_v3",
  "mistral_tekken",
];

function filesUnder(folder: string, limit: number): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (out.length >= limit) return;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(path);
    }
  };
  walk(folder);
  return out;
}

/** Real text: sources of several languages, prose, and gpt-tokenizer's published samples. */
function realTexts(): string[] {
  const files = [
    join(root, "README.md"),
    ...filesUnder(join(root, "test", "fixtures", "repo-langs"), 40),
    ...filesUnder(join(root, "src", "tokens"), 10),
    ...filesUnder(join(root, "src", "pipeline"), 8),
  ];
  const texts = files.map((file) => readFileSync(file, "utf8"));
  const plans = require.resolve("gpt-tokenizer/package.json").replace(/package\.json$/, "data/TestPlans.txt");
  for (const plan of readFileSync(plans, "utf8").split("\n\n")) {
    const sample = plan.split("\n")[1];
    if (sample?.startsWith("Sample: ")) texts.push(sample.slice("Sample: ".length));
  }
  return texts;
}

// Characters where a byte-length bound could go wrong.
const tricky = [
  "\u0958", // Devanagari QA: NFC decomposes it (3 → 6 bytes)
  "\u0344", // combining greek dialytika tonos: NFC → two marks
  "\ufb2c", // Hebrew shin with dagesh and shin dot: NFC → three code points
  "\u{1d160}", // musical symbol: NFC → three code points (4 → 12 bytes)
  "\u212b", // Angstrom sign (NFC shortens it)
  "e\u0301", // e + combining acute
  "\u00e9",
  "日本語",
  "中文",
  "😀",
  "👩‍💻",
  "\ud800", // lone surrogate
  "▁",
  "<|endoftext|>",
  "<|im_start|>",
  "<s>",
  "</s>",
  "<bos>",
  "[INST]",
  " ",
  "    ",
  "\t",
  "\n",
  "\r\n",
  "0",
  "12345",
  "a",
  "Z",
  "_",
  "{",
  "ß",
  "İ",
  "ﬁ",
];

describe("tokenUpperBound never undercounts", () => {
  const texts = realTexts();

  it("has real text to check", () => {
    expect(texts.length).toBeGreaterThan(20);
    expect(texts.some((text) => /[^\x00-\x7f]/.test(text))).toBe(true);
  });

  for (const id of families) {
    it(`${id}: real text and generated tricky text`, () => {
      for (const text of texts) {
        const exact = encodeWith(id, text).length;
        expect(exact, `${id} on ${JSON.stringify(text.slice(0, 60))}`).toBeLessThanOrEqual(
          tokenUpperBound(id, text),
        );
      }
      for (const piece of tricky) {
        const text = piece.repeat(7);
        expect(encodeWith(id, text).length, `${id} on ${JSON.stringify(text)}`).toBeLessThanOrEqual(
          tokenUpperBound(id, text),
        );
      }
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...tricky), { maxLength: 40 }), (pieces) => {
          const text = pieces.join("");
          return encodeWith(id, text).length <= tokenUpperBound(id, text);
        }),
        { numRuns: 100, seed: 12 },
      );
      fc.assert(
        fc.property(fc.string({ unit: "binary", maxLength: 60 }), (text) => {
          return encodeWith(id, text).length <= tokenUpperBound(id, text);
        }),
        { numRuns: 100, seed: 12 },
      );
    }, 60_000);
  }

  it("is what a real counter answers as atMost, without loading a vocabulary", () => {
    const counter = realTokenizer("qwen");
    expect(counter.atMost?.("hello world")).toBe(12);
    expect(counter.atMost?.("\u0958")).toBe(7);
    expect(counter.atMost?.("")).toBe(1);
  });
});
