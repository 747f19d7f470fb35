/**
 * Renders ranked entries as a compact outline — one block per file, signatures indented by
 * nesting, no bodies — and finds by binary search how many entries fit a token budget.
 */
import type { TokenCounter } from "../tokens/counter.js";
import type { RankedEntry } from "./rank.js";
import type { IndexedFile, RepoSymbol } from "./types.js";

function qualified(symbol: RepoSymbol): string {
  return symbol.container ? `${symbol.container}.${symbol.name}` : symbol.name;
}

/** The symbols of a file that enclose `symbol`, so a method is never shown without its class. */
function enclosing(file: IndexedFile, symbol: RepoSymbol): RepoSymbol[] {
  if (!symbol.container) return [];
  const out: RepoSymbol[] = [];
  for (const candidate of file.symbols) {
    if (candidate.line <= symbol.line && candidate.endLine >= symbol.endLine && candidate !== symbol) {
      const name = qualified(candidate);
      if (symbol.container === name || symbol.container.startsWith(`${name}.`)) out.push(candidate);
    }
  }
  return out;
}

export function renderEntries(
  entries: readonly RankedEntry[],
  files: ReadonlyMap<string, IndexedFile>,
): string {
  const order: string[] = [];
  const chosen = new Map<string, Set<RepoSymbol>>();
  for (const entry of entries) {
    let set = chosen.get(entry.file);
    if (!set) {
      set = new Set();
      chosen.set(entry.file, set);
      order.push(entry.file);
    }
    if (!entry.symbol) continue;
    set.add(entry.symbol);
    const file = files.get(entry.file);
    if (file) for (const parent of enclosing(file, entry.symbol)) set.add(parent);
  }
  const blocks: string[] = [];
  for (const path of order) {
    const symbols = [...(chosen.get(path) ?? [])].sort((a, b) => a.line - b.line || b.endLine - a.endLine);
    if (symbols.length === 0) {
      blocks.push(path);
      continue;
    }
    const lines = [`${path}:`];
    for (const symbol of symbols) {
      const depth = symbol.container ? symbol.container.split(".").length : 0;
      lines.push(`${"  ".repeat(depth + 1)}${symbol.signature || symbol.name}`);
    }
    blocks.push(lines.join("\n"));
  }
  return blocks.length === 0 ? "" : `${blocks.join("\n")}\n`;
}

export interface FittedMap {
  text: string;
  tokens: number;
  /** How many ranked entries made it in. */
  included: number;
}

/**
 * The largest prefix of `entries` whose rendering fits `budget` tokens. Rendering is monotonic in
 * the prefix length (more entries never render shorter), so binary search is exact.
 */
export function fitToBudget(
  entries: readonly RankedEntry[],
  files: ReadonlyMap<string, IndexedFile>,
  budget: number,
  counter: TokenCounter,
): FittedMap {
  // Every entry costs at least one token, so no more than `budget` entries can ever fit.
  let low = 0;
  let high = Math.min(entries.length, Math.max(0, budget));
  let best: FittedMap = { text: "", tokens: 0, included: 0 };
  const measure = (count: number): FittedMap => {
    const text = renderEntries(entries.slice(0, count), files);
    return { text, tokens: counter.count(text), included: count };
  };
  const all = measure(high);
  if (all.tokens <= budget) return all;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const candidate = measure(middle);
    if (candidate.tokens <= budget) {
      best = candidate;
      low = middle;
    } else {
      high = middle - 1;
    }
  }
  return best;
}
