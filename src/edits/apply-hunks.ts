/**
 * Applies unified-diff hunks with line numbers as hints only: each hunk is rebuilt as a
 * before/after block and located like a SEARCH/REPLACE pair; if the whole hunk cannot be found,
 * each run of changes is placed on its own with shrinking context. Every placement must be unique.
 */
import { EditFailure } from "./edit-failure.js";
import { ALREADY_APPLIED, alreadyApplied, conflictMessage, locate } from "./locate.js";
import type { DiffHunk, HunkLine } from "./types.js";

interface ChangeRun {
  before: string[];
  removed: string[];
  added: string[];
  after: string[];
  /** Old-side offset of the run's first changed line within the hunk. */
  offset: number;
}

function sides(lines: readonly HunkLine[]): { search: string[]; replace: string[] } {
  return {
    search: lines.filter((line) => line.kind !== "+").map((line) => line.text),
    replace: lines.filter((line) => line.kind !== "-").map((line) => line.text),
  };
}

function changeRuns(hunk: DiffHunk): ChangeRun[] {
  const runs: ChangeRun[] = [];
  let context: string[] = [];
  let current: ChangeRun | null = null;
  let oldOffset = 0;
  for (const line of hunk.lines) {
    if (line.kind === " ") {
      if (current) current.after.push(line.text);
      context.push(line.text);
      oldOffset++;
      continue;
    }
    if (!current || current.after.length > 0) {
      current = { before: context, removed: [], added: [], after: [], offset: oldOffset };
      runs.push(current);
    }
    context = [];
    if (line.kind === "-") {
      current.removed.push(line.text);
      oldOffset++;
    } else current.added.push(line.text);
  }
  // Each run's trailing context ends where the next run's leading context starts.
  return runs;
}

function hasAnchor(lines: readonly string[]): boolean {
  return lines.some((line) => line.trim() !== "");
}

/** Applies one hunk to `lines`; returns the new lines, the strategy and the line-count change. */
export function applyHunk(
  lines: readonly string[],
  hunk: DiffHunk,
  delta: number,
): { lines: string[]; strategy: string } {
  const { search, replace } = sides(hunk.lines);
  const stated = hunk.oldStart === undefined ? [] : [hunk.oldStart - 1 + delta];
  if (search.length === 0) {
    if (lines.every((line) => line.trim() === "")) return { lines: replace, strategy: "exact" };
    throw new EditFailure(
      "the hunk has no context or removed lines, so there is nothing to locate it by",
      search,
    );
  }
  const whole = locate(lines, search, replace, stated);
  const already = alreadyApplied(lines, search, replace, whole, stated);
  if (already?.kind === "applied") return { lines: [...lines], strategy: ALREADY_APPLIED };
  if (already?.kind === "conflict") throw new EditFailure(conflictMessage(already), search);
  if (whole.kind === "found" && !whole.strategy.startsWith("exact")) {
    // Placed only by a tolerant rung: if the hunk's context stands word for word somewhere else
    // with different `-` lines, the hunk was made for that place and is stale there.
    const stale = staleContextPlace(lines, hunk, whole.start);
    if (stale !== null) {
      throw new EditFailure(
        `the hunk's context matches line ${stale + 1} exactly but its removed lines differ there; it matches line ${whole.start + 1} only loosely — the diff was made for other content, rebuild it from the current file`,
        search,
      );
    }
  }
  if (whole.kind === "found") {
    return {
      lines: [...lines.slice(0, whole.start), ...whole.replacement, ...lines.slice(whole.end)],
      strategy: whole.strategy,
    };
  }
  if (whole.kind === "ambiguous") {
    throw new EditFailure(
      `the hunk matches at ${whole.lines.length} places (lines ${whole.lines.join(", ")}); add more context lines`,
      search,
    );
  }
  return applyRuns(lines, hunk, stated, search);
}

function applyRuns(
  lines: readonly string[],
  hunk: DiffHunk,
  stated: readonly number[],
  search: string[],
): { lines: string[]; strategy: string } {
  const runs = changeRuns(hunk);
  let current = [...lines];
  let shift = 0;
  for (const [number, run] of runs.entries()) {
    const widest = Math.max(run.before.length, run.after.length);
    let placed = false;
    for (let size = widest; size >= 0 && !placed; size--) {
      const before = run.before.slice(Math.max(0, run.before.length - size));
      const after = run.after.slice(0, size);
      if (!hasAnchor([...before, ...run.removed, ...after])) break;
      if (run.removed.length === 0 && !hasAnchor(before) && !hasAnchor(after)) break;
      const runSearch = [...before, ...run.removed, ...after];
      const runReplace = [...before, ...run.added, ...after];
      const hints = stated.map((line) => line + run.offset - before.length + shift);
      const located = locate(current, runSearch, runReplace, hints);
      if (located.kind === "found") {
        const disagreeing = contradictingContext(current, run, before.length, after.length, located.start);
        if (disagreeing) {
          throw new EditFailure(
            `the hunk's context does not match the file where its change ${number + 1} would go: the context line "${disagreeing.trim()}" is elsewhere in the file, not next to it (line ${located.start + 1}); the diff was made for other content — rebuild it from the current file`,
            search,
          );
        }
      }
      if (located.kind === "ambiguous") {
        throw new EditFailure(
          `change ${number + 1} of the hunk matches at ${located.lines.length} places (lines ${located.lines.join(", ")})`,
          search,
        );
      }
      if (located.kind === "found") {
        current = [...current.slice(0, located.start), ...located.replacement, ...current.slice(located.end)];
        shift += located.replacement.length - (located.end - located.start);
        placed = true;
      }
    }
    if (!placed)
      throw new EditFailure(
        number === 0 && runs.length === 1
          ? "the hunk's lines were not found in the file"
          : `change ${number + 1} of the hunk was not found in the file`,
        search,
      );
  }
  return { lines: current, strategy: "hunk-runs" };
}

/** How far a dropped context line may have drifted from where the hunk puts it and still agree. */
const DRIFT = 2;

/**
 * Context the hunk shows but that was dropped to place a change: each dropped line must be absent
 * from the file (the model misremembered it) or stand near where the hunk puts it (the file drifted).
 * A dropped line that exists in the file but elsewhere contradicts the place: the hunk was made for
 * different content (a stale diff whose `-` line also occurs at another place). Returns that line.
 */
function contradictingContext(
  file: readonly string[],
  run: ChangeRun,
  keptBefore: number,
  keptAfter: number,
  start: number,
): string | null {
  const trimmed = file.map((line) => line.trim());
  const present = new Set(trimmed);
  const near = (text: string, expected: number) => {
    for (let at = expected - DRIFT; at <= expected + DRIFT; at++) if (trimmed[at] === text) return true;
    return false;
  };
  const droppedBefore = run.before.slice(0, run.before.length - keptBefore);
  for (const [offset, line] of droppedBefore.entries()) {
    const text = line.trim();
    if (text === "" || !present.has(text)) continue;
    const expected = start - (droppedBefore.length - offset);
    if (!near(text, expected)) return line;
  }
  const changeEnd = start + keptBefore + run.removed.length + keptAfter;
  for (const [offset, line] of run.after.slice(keptAfter).entries()) {
    const text = line.trim();
    if (text === "" || !present.has(text)) continue;
    if (!near(text, changeEnd + offset)) return line;
  }
  return null;
}

/**
 * A place (0-based) other than `placed` where every context line of the hunk stands exactly (trailing
 * whitespace aside) but its `-` lines do not: where a stale hunk was made for. Null when none, or
 * when the hunk has fewer than two non-blank context lines to tell.
 */
function staleContextPlace(file: readonly string[], hunk: DiffHunk, placed: number): number | null {
  const old = hunk.lines.filter((line) => line.kind !== "+");
  if (old.filter((line) => line.kind === " " && line.text.trim() !== "").length < 2) return null;
  for (let start = 0; start + old.length <= file.length; start++) {
    if (start === placed) continue;
    let contextAgrees = true;
    let removedDiffer = false;
    for (const [offset, line] of old.entries()) {
      const same = (file[start + offset] ?? "").trimEnd() === line.text.trimEnd();
      if (line.kind === " " && !same) {
        contextAgrees = false;
        break;
      }
      if (line.kind === "-" && !same) removedDiffer = true;
    }
    if (contextAgrees && removedDiffer) return start;
  }
  return null;
}
