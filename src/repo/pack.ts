/**
 * Packs a unit's files into the drafter's token budget. Target files go in whole when they fit.
 * A target that does not fit is cut down to the line ranges of the relevant symbols (named in
 * `focusSymbols` or in the goal) plus the signatures of everything else, and every part left
 * out is said so in the block and in the notes — a file is never truncated silently. Context
 * files then fill what remains, whole, as signatures, or as a note that they were left out.
 */
import { readFileSync, realpathSync } from "node:fs";
import { join, sep } from "node:path";
import type { TokenCounter } from "../tokens/counter.js";
import { extractSymbols } from "./extract.js";
import { languageForPath, prepareSource, refineLanguage } from "./file-kinds.js";
import { type Excerpt, excerptFile, skeletonOf } from "./pack-excerpt.js";
import type { PackBlock, RepoSymbol } from "./types.js";

export interface PackRequest {
  repoRoot: string;
  targetFiles: string[];
  contextFiles: string[];
  budgetTokens: number;
  counter: TokenCounter;
  /** Symbols the unit is about; their full line ranges are kept when a target must be cut. */
  focusSymbols?: string[];
  /** The unit's goal; identifiers in it that name symbols count as focus symbols too. */
  goal?: string;
  /** Reads a repo-relative path (an overlay with earlier units' edits); null = does not exist. */
  read?: (path: string) => string | null;
}

export type { PackBlock };

export interface PackResult {
  blocks: PackBlock[];
  usedTokens: number;
  /** True when every target file is present whole or with all its focus symbols verbatim. */
  fits: boolean;
  notes: string[];
}

/**
 * Reads a repo-relative path, refusing (null) anything whose real path is outside the
 * repository's real path: a symlink to `../../credentials` or `/etc/passwd` is not packed.
 */
function defaultReader(repoRoot: string): (path: string) => string | null {
  let realRoot: string;
  try {
    realRoot = realpathSync(repoRoot);
  } catch {
    realRoot = repoRoot;
  }
  return (path) => {
    try {
      const real = realpathSync(join(repoRoot, path));
      if (real !== realRoot && !real.startsWith(`${realRoot}${sep}`)) return null;
      return readFileSync(real, "utf8");
    } catch {
      return null;
    }
  };
}

async function symbolsOf(path: string, text: string): Promise<RepoSymbol[]> {
  const language = languageForPath(path);
  if (!language) return [];
  const refined = refineLanguage(path, language, text);
  return (await extractSymbols(refined, prepareSource(refined, text))).symbols;
}

/** Tokens a block costs, including the path header the prompt puts above it. */
function blockCost(counter: TokenCounter, block: PackBlock): number {
  return counter.count(`${block.file}\n${block.text}`);
}

export async function packContext(request: PackRequest): Promise<PackResult> {
  const read = request.read ?? defaultReader(request.repoRoot);
  const { counter } = request;
  const notes: string[] = [];
  const blocks: PackBlock[] = [];
  let fits = true;

  const targets = request.targetFiles.map((file) => ({ file, text: read(file) }));
  const wholeCost = targets.map(({ file, text }) =>
    blockCost(counter, { file, text: text ?? "", whole: true }),
  );
  const totalWhole = wholeCost.reduce((sum, cost) => sum + cost, 0);
  let remaining = request.budgetTokens;

  // Which targets must be cut: the largest first, until the rest fit whole.
  const cut = new Set<number>();
  if (totalWhole > remaining) {
    let total = totalWhole;
    const bySize = targets.map((_, position) => position).sort((a, b) => wholeCost[b]! - wholeCost[a]!);
    for (const position of bySize) {
      if (total <= remaining) break;
      cut.add(position);
      total -= wholeCost[position]!;
    }
  }

  const focusNames = new Set(request.focusSymbols ?? []);
  const goalWords = new Set(request.goal?.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []);
  const wholeTotal = targets.reduce(
    (sum, _, position) => (cut.has(position) ? sum : sum + wholeCost[position]!),
    0,
  );
  const cutCount = cut.size;
  // The cut targets share what the whole ones leave.
  let shareLeft = remaining - wholeTotal;

  for (const [position, { file, text }] of targets.entries()) {
    if (text === null) {
      blocks.push({ file, text: "", whole: true, omitted: "file does not exist yet" });
      notes.push(`${file}: new file`);
      continue;
    }
    if (!cut.has(position)) {
      blocks.push({ file, text, whole: true });
      remaining -= wholeCost[position]!;
      continue;
    }
    const share = Math.floor(shareLeft / Math.max(1, cutCount - [...cut].filter((p) => p < position).length));
    const symbols = await symbolsOf(file, text);
    const focus = symbols.filter(
      (symbol) =>
        focusNames.has(symbol.name) ||
        focusNames.has(symbol.container ? `${symbol.container}.${symbol.name}` : symbol.name) ||
        goalWords.has(symbol.name),
    );
    const excerpt: Excerpt = excerptFile({ file, text, symbols, focus, budget: share, counter });
    blocks.push(excerpt.block);
    const used = blockCost(counter, excerpt.block);
    remaining -= used;
    shareLeft -= used;
    notes.push(
      `${file}: ${wholeCost[position]} tokens whole, packed to ${used}; omitted ${excerpt.block.omitted}`,
    );
    if (!excerpt.allFocusIncluded) {
      fits = false;
      notes.push(`${file}: not every focus symbol fits the budget (${excerpt.missingFocus.join(", ")})`);
    }
  }

  for (const file of request.contextFiles) {
    const text = read(file);
    if (text === null) {
      notes.push(`${file}: context file not found, skipped`);
      continue;
    }
    const whole: PackBlock = { file, text, whole: true };
    const cost = blockCost(counter, whole);
    if (cost <= remaining) {
      blocks.push(whole);
      remaining -= cost;
      continue;
    }
    const skeleton = skeletonOf(file, text, await symbolsOf(file, text), remaining, counter);
    if (skeleton) {
      blocks.push(skeleton);
      remaining -= blockCost(counter, skeleton);
      notes.push(`${file}: context shown as signatures (${cost} tokens whole)`);
    } else {
      notes.push(`${file}: context file left out, no room (${cost} tokens whole)`);
    }
  }

  const usedTokens = blocks.reduce((sum, block) => sum + blockCost(counter, block), 0);
  if (usedTokens > request.budgetTokens) fits = false;
  return { blocks, usedTokens, fits, notes };
}
