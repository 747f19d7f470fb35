/**
 * Fits and measures the fallback token heuristic against the real tokenizers on real files of
 * this machine (CPython stdlib, TypeScript/JavaScript from node_modules, C headers, Markdown).
 * `--fit` searches the weights; without it, only the error of the shipped weights is measured.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { defaultWeights, estimateTokens, type HeuristicWeights } from "../src/tokens/heuristic.js";
import { realTokenizer, type TokenizerId } from "../src/tokens/real-tokenizers.js";

const tokenizers: TokenizerId[] = ["o200k_base", "llama3", "qwen", "deepseek_v3", "gemma3", "mistral_v3"];

function sample(root: string, pattern: string, count: number, exclude = "site-packages"): string[] {
  const all = execFileSync(
    "find",
    [root, "-name", pattern, "-size", "+2k", "-not", "-path", `*${exclude}*`],
    {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  )
    .trim()
    .split("\n")
    .filter(Boolean)
    .sort();
  // Evenly spaced picks: deterministic, spread over the tree.
  const step = Math.max(1, Math.floor(all.length / count));
  return all.filter((_, index) => index % step === 0).slice(0, count);
}

export interface SampleFile {
  kind: string;
  path: string;
  text: string;
  counts: Record<string, number>;
}

export function loadSamples(perKind = 40): SampleFile[] {
  const stdlib = execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], {
    encoding: "utf8",
  }).trim();
  const kinds: Array<[string, string[]]> = [
    ["python", sample(stdlib, "*.py", perKind)],
    [
      "typescript",
      sample("node_modules/typescript/lib", "*.d.ts", perKind / 2).concat(
        sample("node_modules/zod", "*.ts", perKind / 2),
      ),
    ],
    ["javascript", sample("node_modules", "*.js", perKind, "tokenizer")],
    ["c", sample("/usr/include", "*.h", perKind)],
    ["markdown", sample("node_modules", "*.md", perKind)],
  ];
  const out: SampleFile[] = [];
  for (const [kind, paths] of kinds) {
    for (const path of paths) {
      const text = readFileSync(path, "utf8").slice(0, 16_000);
      out.push({ kind, path, text, counts: {} });
    }
  }
  for (const id of tokenizers) {
    const counter = realTokenizer(id);
    for (const file of out) file.counts[id] = counter.count(file.text);
  }
  return out;
}

function meanCount(file: SampleFile): number {
  return tokenizers.reduce((sum, id) => sum + file.counts[id]!, 0) / tokenizers.length;
}

/** Marker for the naive "characters / 4" rule, reported as a baseline. */
export const charsPerFour: HeuristicWeights = { ...defaultWeights };

export function errorTable(samples: SampleFile[], weights: HeuristicWeights) {
  const rows: Array<{
    kind: string;
    reference: string;
    meanAbsPct: number;
    p90AbsPct: number;
    bias: number;
  }> = [];
  const kinds = [...new Set(samples.map((file) => file.kind)), "all"];
  for (const reference of [...tokenizers, "mean"]) {
    for (const kind of kinds) {
      const files = samples.filter((file) => kind === "all" || file.kind === kind);
      const errors = files.map((file) => {
        const truth = reference === "mean" ? meanCount(file) : file.counts[reference]!;
        const estimate = weights === charsPerFour ? file.text.length / 4 : estimateTokens(file.text, weights);
        return (estimate - truth) / truth;
      });
      const absolute = errors.map(Math.abs).sort((a, b) => a - b);
      rows.push({
        kind,
        reference,
        meanAbsPct: (100 * absolute.reduce((a, b) => a + b, 0)) / absolute.length,
        p90AbsPct: 100 * (absolute[Math.floor(absolute.length * 0.9)] ?? 0),
        bias: (100 * errors.reduce((a, b) => a + b, 0)) / errors.length,
      });
    }
  }
  return rows;
}

function loss(samples: SampleFile[], weights: HeuristicWeights): number {
  let total = 0;
  for (const file of samples) total += Math.abs(estimateTokens(file.text, weights) / meanCount(file) - 1);
  return total / samples.length;
}

function fitWeights(samples: SampleFile[]): HeuristicWeights {
  let best = { ...defaultWeights };
  let bestLoss = loss(samples, best);
  for (let round = 0; round < 6; round++) {
    for (const key of Object.keys(best) as Array<keyof HeuristicWeights>) {
      for (const factor of [0.7, 0.85, 0.95, 1.05, 1.15, 1.3]) {
        const candidate = { ...best, [key]: best[key] * factor };
        const value = loss(samples, candidate);
        if (value < bestLoss) {
          best = candidate;
          bestLoss = value;
        }
      }
    }
  }
  return best;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const samples = loadSamples();
  let weights = defaultWeights;
  if (process.argv.includes("--fit")) {
    weights = fitWeights(samples);
    console.log("fitted weights:", JSON.stringify(weights));
  }
  for (const [label, table] of [
    ["chars/4 baseline", errorTable(samples, charsPerFour)],
    ["heuristic", errorTable(samples, weights)],
  ] as const) {
    console.log(
      `\n${label}: ${samples.length} files; error vs real tokenizers (mean |error| %, p90 |error| %, bias %)`,
    );
    for (const row of table) {
      if (row.kind === "all" || row.reference === "mean") {
        console.log(
          `${row.reference.padEnd(12)} ${row.kind.padEnd(11)} ${row.meanAbsPct.toFixed(1).padStart(5)} ${row.p90AbsPct.toFixed(1).padStart(5)} ${row.bias.toFixed(1).padStart(6)}`,
        );
      }
    }
  }
}
