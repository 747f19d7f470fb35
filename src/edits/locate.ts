/**
 * Finds where a block of lines belongs in a file, climbing a ladder of ever more tolerant
 * comparisons and stopping at the first rung that yields exactly one place. Two or more places
 * is a refusal (unless a line-number hint names exactly one of them): a refused edit can be
 * resent, a misapplied one silently corrupts the file. There is deliberately no edit-distance rung.
 */
import { diffArrays } from "diff";
import { type Candidate, commonIndent, leadingWhitespace } from "./candidate.js";
import { EditFailure } from "./edit-failure.js";
import { isBlank } from "./file-text.js";
import { relativeIndentCandidates } from "./relative-indent.js";

export type { Candidate };

export type Rung = "exact" | "trailing-whitespace" | "indentation" | "relative-indentation" | "blank-lines";
export const RUNGS: readonly Rung[] = [
  "exact",
  "trailing-whitespace",
  "indentation",
  "relative-indentation",
  "blank-lines",
];

export type Located =
  | { kind: "found"; start: number; end: number; replacement: string[]; strategy: string }
  | { kind: "ambiguous"; strategy: string; lines: number[] }
  | { kind: "not-found" };

function matchAt(
  file: readonly string[],
  search: readonly string[],
  start: number,
  rung: Rung,
  searchIndent: string,
): Candidate | null {
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
    // Blank lines the search does show are paired with the file's blank lines in the same gap, so
    // only the ones it left out count as hidden.
    for (let offset = 1; offset < searchKept.length; offset++) {
      const searchFrom = searchKept[offset - 1]?.index ?? 0;
      const searchTo = searchKept[offset]?.index ?? 0;
      const fileFrom = fileKept[start + offset - 1]?.index ?? 0;
      const fileTo = fileKept[start + offset]?.index ?? 0;
      const paired = Math.min(searchTo - searchFrom, fileTo - fileFrom) - 1;
      for (let step = 1; step <= paired; step++) map[searchFrom + step] = fileFrom + step;
    }
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
 * Blank file lines the SEARCH did not show ("hidden" lines, blank-lines rung only) stay where they
 * are; when an edit's intent around them is unclear, the edit is refused instead of guessed.
 */
export function buildReplacement(
  file: readonly string[],
  search: readonly string[],
  replace: readonly string[],
  candidate: Candidate,
  rung: Rung,
): string[] {
  const comparator =
    rung === "exact"
      ? (left: string, right: string) => left === right
      : (left: string, right: string) => left.trimEnd() === right.trimEnd();
  const changes = diffArrays(search as string[], replace as string[], { comparator });
  const unclear = (why: string) =>
    new EditFailure(`${why}, so the edit's intent there is unclear; quote those blank lines too`, [
      ...search,
    ]);
  const nextMappedFileLine = (searchIndex: number): number | null => {
    for (let probe = searchIndex + 1; probe < candidate.map.length; probe++) {
      const mapped = candidate.map[probe];
      if (mapped !== null && mapped !== undefined) return mapped;
    }
    return null;
  };
  const output: string[] = [];
  const addLines = (lines: readonly string[]) => {
    for (const line of lines) output.push(reindent(line, candidate, rung !== "exact"));
  };
  /** Copies the hidden lines after file line `fileIndex`; true when there were any. */
  const copyHiddenAfter = (fileIndex: number, searchIndex: number): boolean => {
    const next = nextMappedFileLine(searchIndex);
    if (next === null) return false;
    for (let gap = fileIndex + 1; gap < next; gap++) output.push(file[gap] ?? "");
    return next > fileIndex + 1;
  };
  let searchIndex = 0;
  let afterHiddenLines = false;
  for (let changeIndex = 0; changeIndex < changes.length; changeIndex++) {
    const change = changes[changeIndex];
    if (!change) continue;
    if (change.added) {
      if (afterHiddenLines) throw unclear("lines are added next to blank lines the quoted text left out");
      addLines(change.value);
      continue;
    }
    if (change.removed) {
      const following = changes[changeIndex + 1];
      const replacement = following?.added ? following.value : [];
      if (following?.added) changeIndex++;
      const mapped: { fileIndex: number; searchIndex: number }[] = [];
      for (let count = 0; count < change.count; count++) {
        const fileIndex = candidate.map[searchIndex + count];
        if (fileIndex !== null && fileIndex !== undefined)
          mapped.push({ fileIndex, searchIndex: searchIndex + count });
      }
      searchIndex += change.count;
      const last = mapped[mapped.length - 1];
      if (!last) {
        if (replacement.length > 0 && afterHiddenLines)
          throw unclear("lines are added next to blank lines the quoted text left out");
        addLines(replacement);
        continue;
      }
      for (let index = 1; index < mapped.length; index++) {
        if ((mapped[index]?.fileIndex ?? 0) !== (mapped[index - 1]?.fileIndex ?? 0) + 1)
          throw unclear("removed lines have blank lines between them that the quoted text left out");
      }
      // "Replace these lines" and "delete these, add those next to them" read the same in the reply;
      // next to hidden lines they put the new lines on different sides of them.
      if (replacement.length > 0 && afterHiddenLines)
        throw unclear("changed lines follow blank lines the quoted text left out");
      addLines(replacement);
      afterHiddenLines = copyHiddenAfter(last.fileIndex, last.searchIndex);
      if (replacement.length > 0 && afterHiddenLines)
        throw unclear("changed lines precede blank lines the quoted text left out");
      continue;
    }
    for (let count = 0; count < change.count; count++, searchIndex++) {
      const fileIndex = candidate.map[searchIndex];
      if (fileIndex === null || fileIndex === undefined) continue;
      output.push(file[fileIndex] ?? "");
      afterHiddenLines = copyHiddenAfter(fileIndex, searchIndex);
    }
  }
  return output;
}

/**
 * Locates `search` in `file` and returns the replacement for the region. `hints` are 0-based
 * start lines taken from a diff's line numbers: they may only pick one place among several.
 */
export function locate(
  file: readonly string[],
  search: readonly string[],
  replace: readonly string[],
  hints: readonly number[] = [],
): Located {
  const located = climb(file, search, replace, hints, RUNGS.slice(0, -1));
  if (located.kind !== "not-found") return located;
  const trimmed = trimSpuriousBlankLines(search, replace);
  if (trimmed) {
    const shifted = hints.map((hint) => hint + trimmed.leading);
    const retried = climb(file, trimmed.search, trimmed.replace, shifted, RUNGS.slice(0, -1));
    if (retried.kind === "found") return { ...retried, strategy: `spurious-blank-lines,${retried.strategy}` };
    if (retried.kind === "ambiguous") return retried;
  }
  return climb(file, search, replace, hints, RUNGS.slice(-1));
}

/** The block without blank lines at its edges (and the replacement without the matching ones), if it had any. */
function trimSpuriousBlankLines(
  search: readonly string[],
  replace: readonly string[],
): { search: string[]; replace: string[]; leading: number } | null {
  let leading = 0;
  while (leading < search.length && isBlank(search[leading] ?? "")) leading++;
  let trailing = 0;
  while (trailing < search.length - leading && isBlank(search[search.length - 1 - trailing] ?? ""))
    trailing++;
  if ((leading === 0 && trailing === 0) || leading === search.length) return null;
  let replaceLeading = 0;
  while (
    replaceLeading < leading &&
    replaceLeading < replace.length &&
    isBlank(replace[replaceLeading] ?? "")
  )
    replaceLeading++;
  let replaceTrailing = 0;
  while (
    replaceTrailing < trailing &&
    replaceTrailing < replace.length - replaceLeading &&
    isBlank(replace[replace.length - 1 - replaceTrailing] ?? "")
  )
    replaceTrailing++;
  return {
    search: search.slice(leading, search.length - trailing),
    replace: replace.slice(replaceLeading, replace.length - replaceTrailing),
    leading,
  };
}

function climb(
  file: readonly string[],
  search: readonly string[],
  replace: readonly string[],
  hints: readonly number[],
  rungs: readonly Rung[],
): Located {
  for (const rung of rungs) {
    const candidates = candidatesFor(file, search, rung);
    if (candidates.length === 0) continue;
    let chosen = candidates[0];
    let strategy: string = rung;
    if (candidates.length > 1) {
      const hinted = candidates.filter((candidate) => hints.includes(candidate.start));
      if (hinted.length !== 1) {
        return {
          kind: "ambiguous",
          strategy: rung,
          lines: candidates.map((candidate) => candidate.start + 1),
        };
      }
      chosen = hinted[0];
      strategy = `${rung}+line-hint`;
    }
    if (!chosen) continue;
    return {
      kind: "found",
      start: chosen.start,
      end: chosen.end,
      replacement: buildReplacement(file, search, replace, chosen, rung),
      strategy,
    };
  }
  return { kind: "not-found" };
}

/** Strategy name of an edit whose change is already in the file (nothing is written). */
export const ALREADY_APPLIED = "already applied";

/** How close a diff's line number must be to the applied text to say which of two places is meant. */
const HINT_SLACK = 3;

/**
 * Whether the edit's change is already in the file: its REPLACE text stands (once) where its SEARCH
 * text would be — either the SEARCH is gone, or the only place SEARCH matches lies inside the
 * REPLACE text (a REPLACE that extends its SEARCH). Applying it again would write a second copy.
 * "conflict" when the REPLACE text stands at one place and the SEARCH text also at another: either
 * could be meant, so the edit must be refused unless a line number names the applied place.
 * Only edits that write new text count: a pure deletion cannot be told apart from a misquote.
 */
export function alreadyApplied(
  file: readonly string[],
  search: readonly string[],
  replace: readonly string[],
  located: Located,
  hints: readonly number[] = [],
): { kind: "applied" } | { kind: "conflict"; appliedLine: number; searchLines: number[] } | null {
  const searchSet = new Set(search.map((line) => line.trim()));
  const writesNew = replace.some((line) => line.trim() !== "" && !searchSet.has(line.trim()));
  if (!writesNew) return null;
  const applied = climb(file, replace, replace, hints, RUNGS.slice(0, -1));
  if (applied.kind !== "found") return null;
  const inside = (start: number) => start >= applied.start && start < applied.end;
  if (located.kind === "not-found") return { kind: "applied" };
  const elsewhere =
    located.kind === "found"
      ? inside(located.start) && located.end <= applied.end
        ? []
        : [located.start + 1]
      : located.lines.filter((line) => !inside(line - 1));
  if (located.kind === "ambiguous" && elsewhere.length === located.lines.length) return null;
  if (elsewhere.length === 0) return { kind: "applied" };
  if (hints.some((hint) => Math.abs(hint - applied.start) <= HINT_SLACK)) return { kind: "applied" };
  return { kind: "conflict", appliedLine: applied.start + 1, searchLines: elsewhere };
}

/** The refusal for an edit whose new text stands at one place while its old text stands at another. */
export function conflictMessage(conflict: { appliedLine: number; searchLines: number[] }): string {
  return `the edit's new text already stands at line ${conflict.appliedLine}, and its old text also at line ${conflict.searchLines.join(", ")}; it is unclear whether it is already applied or meant for the other place — quote more surrounding lines`;
}

/** Lines at least this long are "long lines" (minified bundles, one-line JSON) a SEARCH may match inside. */
export const LONG_LINE = 120;
/** Shortest fragment matched inside a line: shorter ones are too likely to be a misquote. */
const MIN_FRAGMENT = 10;

/**
 * A one-line SEARCH that is a fragment of one long line: located and replaced within that line
 * when it occurs exactly once in the whole file and the line holding it is long; two or more
 * occurrences are ambiguous. Multi-line REPLACE text splits the line where the fragment was.
 */
export function locateWithinLine(
  file: readonly string[],
  search: readonly string[],
  replace: readonly string[],
): Located {
  const quoted = search.filter((line) => !isBlank(line));
  if (quoted.length !== 1 || search.length - quoted.length > 2) return { kind: "not-found" };
  const raw = quoted[0] ?? "";
  for (const fragment of raw.trim() === raw ? [raw] : [raw, raw.trim()]) {
    if (fragment.trim().length < MIN_FRAGMENT) return { kind: "not-found" };
    const places: { line: number; column: number }[] = [];
    file.forEach((line, index) => {
      for (let column = line.indexOf(fragment); column !== -1; column = line.indexOf(fragment, column + 1))
        places.push({ line: index, column });
    });
    if (places.length === 0) continue;
    if (places.length > 1)
      return { kind: "ambiguous", strategy: "within-line", lines: places.map((place) => place.line + 1) };
    const place = places[0] as { line: number; column: number };
    const line = file[place.line] ?? "";
    if (line.length < LONG_LINE) return { kind: "not-found" };
    const trimmed = fragment !== raw;
    const pieces = replace.filter(
      (_, index) => !(isBlank(replace[index] ?? "") && (index === 0 || index === replace.length - 1)),
    );
    const text = pieces.map((piece, index) => {
      if (!trimmed) return piece;
      let out = piece;
      if (index === 0) out = out.trimStart();
      if (index === pieces.length - 1) out = out.trimEnd();
      return out;
    });
    const joined = `${line.slice(0, place.column)}${text.join("\n")}${line.slice(place.column + fragment.length)}`;
    return {
      kind: "found",
      start: place.line,
      end: place.line + 1,
      replacement: joined.split("\n"),
      strategy: "within-line",
    };
  }
  return { kind: "not-found" };
}
