/**
 * Finds where a block of lines belongs in a file, climbing a ladder of ever more tolerant
 * comparisons and stopping at the first rung that yields exactly one place. Two or more places
 * is a refusal (unless a line-number hint names exactly one of them): a refused edit can be
 * resent, a misapplied one silently corrupts the file. There is deliberately no edit-distance rung.
 */
import { diffArrays } from "diff";
import { EditFailure } from "./edit-failure.js";
import { isBlank } from "./file-text.js";
import { relativeIndentCandidates } from "./relative-indent.js";

export type Rung = "exact" | "trailing-whitespace" | "indentation" | "relative-indentation" | "blank-lines";
export const RUNGS: readonly Rung[] = ["exact", "trailing-whitespace", "indentation", "relative-indentation", "blank-lines"];

export interface Candidate {
  start: number;
  end: number;
  /** For each search line, the file line it matched (null: a blank search line the file lacks). */
  map: (number | null)[];
  /** Re-indents a line the edit adds so it sits in the file's indentation. */
  reindent: (line: string) => string;
}

export type Located =
  | { kind: "found"; start: number; end: number; replacement: string[]; strategy: string }
  | { kind: "ambiguous"; strategy: string; lines: number[] }
  | { kind: "not-found" };

export function leadingWhitespace(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? "";
}

export function commonIndent(lines: readonly string[]): string {
  let common: string | null = null;
  for (const line of lines) {
    if (isBlank(line)) continue;
    const lead = leadingWhitespace(line);
    if (common === null) common = lead;
    else {
      let length = 0;
      while (length < common.length && length < lead.length && common[length] === lead[length]) length++;
      common = common.slice(0, length);
    }
  }
  return common ?? "";
}

function matchAt(file: readonly string[], search: readonly string[], start: number, rung: Rung, searchIndent: string): Candidate | null {
  const map: number[] = [];
  let indentTo: string | null = rung === "indentation" ? null : "";
  for (let offset = 0; offset < search.length; offset++) {
    const fileLine = file[start + offset];
    const searchLine = search[offset];
    if (fileLine === undefined || searchLine === undefined) return null;
    if (rung === "exact") {
      if (fileLine !== searchLine) return null;
    } else if (rung === "trailing-whitespace") {
      if (fileLine.trimEnd() !== searchLine.trimEnd()) return null;
    } else if (isBlank(searchLine) || isBlank(fileLine)) {
      if (!(isBlank(searchLine) && isBlank(fileLine))) return null;
    } else {
      const stripped = searchLine.slice(searchIndent.length).trimEnd();
      const trimmedFile = fileLine.trimEnd();
      if (!trimmedFile.endsWith(stripped)) return null;
      const prefix = trimmedFile.slice(0, trimmedFile.length - stripped.length);
      if (indentTo === null) {
        if (!/^[ \t]*$/.test(prefix)) return null;
        indentTo = prefix;
      } else if (prefix !== indentTo) return null;
    }
    map.push(start + offset);
  }
  const to = indentTo ?? "";
  const reindent =
    rung === "indentation" && (searchIndent !== "" || to !== "")
      ? (line: string) => {
          const lead = leadingWhitespace(line);
          return to + line.slice(lead.startsWith(searchIndent) ? searchIndent.length : lead.length);
        }
      : (line: string) => line;
  return { start, end: start + search.length, map, reindent };
}

/** Matching with blank lines ignored on both sides (missing, extra, leading or trailing blank lines). */
function blankTolerantCandidates(file: readonly string[], search: readonly string[]): Candidate[] {
  const searchKept = search.map((line, index) => ({ line, index })).filter((entry) => !isBlank(entry.line));
  const fileKept = file.map((line, index) => ({ line, index })).filter((entry) => !isBlank(entry.line));
  if (searchKept.length === 0) return [];
  const compactSearch = searchKept.map((entry) => entry.line);
  const compactFile = fileKept.map((entry) => entry.line);
  const indent = commonIndent(compactSearch);
  const found: Candidate[] = [];
  for (let start = 0; start + compactSearch.length <= compactFile.length; start++) {
    const candidate = matchAt(compactFile, compactSearch, start, "indentation", indent);
    if (!candidate) continue;
    const map: (number | null)[] = search.map(() => null);
    searchKept.forEach((entry, offset) => {
      map[entry.index] = fileKept[start + offset]?.index ?? null;
    });
    const first = fileKept[start]?.index ?? 0;
    const last = fileKept[start + compactSearch.length - 1]?.index ?? first;
    found.push({ ...candidate, start: first, end: last + 1, map });
  }
  return found;
}

export function candidatesFor(file: readonly string[], search: readonly string[], rung: Rung): Candidate[] {
  if (search.length === 0) return [];
  if (rung === "blank-lines") return blankTolerantCandidates(file, search);
  if (rung === "relative-indentation") return relativeIndentCandidates(file, search);
  const indent = rung === "indentation" ? commonIndent(search) : "";
  const found: Candidate[] = [];
  for (let start = 0; start + search.length <= file.length; start++) {
    const candidate = matchAt(file, search, start, rung, indent);
    if (candidate) found.push(candidate);
  }
  return found;
}

function reindent(line: string, candidate: Candidate, trimEnd: boolean): string {
  const text = trimEnd ? line.trimEnd() : line;
  if (trimEnd && isBlank(text)) return "";
  return candidate.reindent(text);
}

/**
 * Builds the new lines for a matched region: lines the edit keeps are copied from the file (so
 * whitespace the model got wrong never leaks in), new lines are re-indented to the file's offset.
 */
export function buildReplacement(file: readonly string[], search: readonly string[], replace: readonly string[], candidate: Candidate, rung: Rung): string[] {
  const comparator = rung === "exact" ? (left: string, right: string) => left === right : (left: string, right: string) => left.trimEnd() === right.trimEnd();
  const changes = diffArrays(search as string[], replace as string[], { comparator });
  const deleted: boolean[] = [];
  for (const change of changes) {
    if (change.added) continue;
    for (let count = 0; count < change.count; count++) deleted.push(Boolean(change.removed));
  }
  const nextMapped = (index: number): number | null => {
    for (let probe = index + 1; probe < candidate.map.length; probe++) if (candidate.map[probe] !== null) return probe;
    return null;
  };
  const output: string[] = [];
  let searchIndex = 0;
  // Set when file lines the SEARCH did not show were just copied: an added line right there could
  // belong before them or after them, and the reply does not say which.
  let afterHiddenLines = false;
  for (const change of changes) {
    if (change.added) {
      if (afterHiddenLines) {
        throw new EditFailure("lines are added next to blank lines that the quoted text left out, so their place is unclear; quote those blank lines too", [...search]);
      }
      for (const line of change.value) output.push(reindent(line, candidate, rung !== "exact"));
      continue;
    }
    for (let count = 0; count < change.count; count++, searchIndex++) {
      const fileIndex = candidate.map[searchIndex];
      if (fileIndex === null || fileIndex === undefined) continue;
      afterHiddenLines = false;
      if (!change.removed) output.push(file[fileIndex] ?? "");
      const next = nextMapped(searchIndex);
      if (next === null) continue;
      const gapEnd = candidate.map[next] ?? fileIndex + 1;
      if (change.removed && deleted[next]) continue;
      for (let gap = fileIndex + 1; gap < gapEnd; gap++) output.push(file[gap] ?? "");
      afterHiddenLines = gapEnd > fileIndex + 1;
    }
  }
  return output;
}

/**
 * Locates `search` in `file` and returns the replacement for the region. `hints` are 0-based
 * start lines taken from a diff's line numbers: they may only pick one place among several.
 */
export function locate(file: readonly string[], search: readonly string[], replace: readonly string[], hints: readonly number[] = []): Located {
  for (const rung of RUNGS) {
    const candidates = candidatesFor(file, search, rung);
    if (candidates.length === 0) continue;
    let chosen = candidates[0];
    let strategy: string = rung;
    if (candidates.length > 1) {
      const hinted = candidates.filter((candidate) => hints.includes(candidate.start));
      if (hinted.length !== 1) {
        return { kind: "ambiguous", strategy: rung, lines: candidates.map((candidate) => candidate.start + 1) };
      }
      chosen = hinted[0];
      strategy = `${rung}+line-hint`;
    }
    if (!chosen) continue;
    return { kind: "found", start: chosen.start, end: chosen.end, replacement: buildReplacement(file, search, replace, chosen, rung), strategy };
  }
  return { kind: "not-found" };
}
