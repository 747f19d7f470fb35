/**
 * Cutting one file down to a budget: verbatim line ranges of the symbols that matter, the file's
 * import header, and `⋮` markers for every gap, each listing the signatures of what it hides.
 */
import type { TokenCounter } from "../tokens/counter.js";
import type { PackBlock, RepoSymbol } from "./types.js";

export interface Excerpt {
  block: PackBlock;
  allFocusIncluded: boolean;
  missingFocus: string[];
}

type Range = [number, number];

const headerLimit = 40;
const callableKinds = new Set(["function", "method"]);
const memberKinds = new Set(["field", "variable", "property"]);

function merge(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const range of sorted) {
    const last = out[out.length - 1];
    if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else out.push([range[0], range[1]]);
  }
  return out;
}

/** Symbols worth naming in a gap: not locals inside functions, not plain fields. */
function outlineSymbols(symbols: RepoSymbol[]): RepoSymbol[] {
  const callables = symbols.filter((symbol) => callableKinds.has(symbol.kind));
  return symbols.filter(
    (symbol) =>
      !memberKinds.has(symbol.kind) &&
      !callables.some(
        (outer) =>
          outer !== symbol &&
          outer.line <= symbol.line &&
          outer.endLine >= symbol.endLine &&
          outer.line < symbol.line,
      ),
  );
}

function depthOf(symbol: RepoSymbol): number {
  return symbol.container ? symbol.container.split(".").length : 0;
}

function render(lines: string[], kept: Range[], outline: RepoSymbol[], withSignatures: boolean): string {
  const out: string[] = [];
  let next = 1;
  const gap = (from: number, to: number) => {
    if (from > to) return;
    out.push(`⋮ lines ${from}–${to} omitted`);
    if (!withSignatures) return;
    for (const symbol of outline) {
      if (symbol.line >= from && symbol.line <= to)
        out.push(`⋮ ${"  ".repeat(depthOf(symbol))}${symbol.signature}`);
    }
  };
  for (const [start, end] of kept) {
    gap(next, start - 1);
    out.push(...lines.slice(start - 1, end));
    next = end + 1;
  }
  gap(next, lines.length);
  return out.join("\n");
}

function describeGaps(kept: Range[], total: number, outline: RepoSymbol[]): string {
  const gaps: Range[] = [];
  let next = 1;
  for (const [start, end] of kept) {
    if (start > next) gaps.push([next, start - 1]);
    next = end + 1;
  }
  if (next <= total) gaps.push([next, total]);
  const names = outline
    .filter((symbol) => gaps.some(([from, to]) => symbol.line >= from && symbol.endLine <= to))
    .map((symbol) => symbol.name);
  const spans = gaps.map(([from, to]) => `${from}–${to}`).join(", ");
  const listed = names.slice(0, 20).join(", ") + (names.length > 20 ? `, … ${names.length - 20} more` : "");
  return names.length > 0 ? `lines ${spans} (${listed})` : `lines ${spans}`;
}

export function excerptFile(input: {
  file: string;
  text: string;
  symbols: RepoSymbol[];
  focus: RepoSymbol[];
  budget: number;
  counter: TokenCounter;
}): Excerpt {
  const { file, text, symbols, focus, budget, counter } = input;
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  const outline = outlineSymbols(symbols);
  const cost = (kept: Range[], withSignatures: boolean) =>
    counter.count(`${file}\n${render(lines, kept, outline, withSignatures)}`);

  let kept: Range[] = [];
  const missingFocus: string[] = [];
  for (const symbol of focus) {
    // The enclosing declarations' first lines keep the excerpt's nesting readable.
    const parents = symbols.filter(
      (other) =>
        other !== symbol &&
        other.line < symbol.line &&
        other.endLine >= symbol.endLine &&
        !memberKinds.has(other.kind),
    );
    const candidate = merge([
      ...kept,
      [symbol.line, symbol.endLine],
      ...parents.map((p): Range => [p.line, p.line]),
    ]);
    if (cost(candidate, false) <= budget) kept = candidate;
    else missingFocus.push(symbol.name);
  }
  const firstSymbolLine = symbols.reduce((min, symbol) => Math.min(min, symbol.line), lines.length + 1);
  if (firstSymbolLine > 1) {
    const header = merge([...kept, [1, Math.min(firstSymbolLine - 1, headerLimit)]]);
    if (cost(header, false) <= budget) kept = header;
  }
  const withSignatures = cost(kept, true) <= budget;
  const body = render(lines, kept, outline, withSignatures);
  let omitted = describeGaps(kept, lines.length, outline);
  if (!withSignatures) omitted += "; signatures of the omitted part also left out for space";
  return {
    block: { file, text: body, whole: false, ranges: kept, omitted },
    allFocusIncluded: missingFocus.length === 0,
    missingFocus,
  };
}

/** A context file as signatures only; null when not even one signature fits. */
export function skeletonOf(
  file: string,
  text: string,
  symbols: RepoSymbol[],
  budget: number,
  counter: TokenCounter,
): PackBlock | null {
  const outline = outlineSymbols(symbols);
  if (outline.length === 0 || budget <= 0) return null;
  const lineCount = text.split("\n").length;
  const lines = outline.map((symbol) => `${"  ".repeat(depthOf(symbol))}${symbol.signature}`);
  let count = lines.length;
  const body = (n: number) => `⋮ bodies omitted (${lineCount} lines)\n${lines.slice(0, n).join("\n")}`;
  while (count > 0 && counter.count(`${file}\n${body(count)}`) > budget) count = Math.floor(count * 0.8);
  if (count === 0) return null;
  const omitted =
    count === lines.length
      ? "all bodies (signatures only)"
      : `all bodies and ${lines.length - count} of ${lines.length} signatures`;
  return { file, text: body(count), whole: false, ranges: [], omitted };
}
