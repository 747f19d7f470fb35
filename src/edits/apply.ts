/**
 * Applies parsed edits to an in-memory view of the repository. Pure: `read` supplies current
 * contents, so the pipeline can stack units on an overlay of earlier accepted edits. Every file keeps
 * its byte-order mark, line endings, final newline and indentation; lines the edit does not change
 * are copied from the file byte for byte.
 */
import { applyHunk } from "./apply-hunks.js";
import { EditFailure } from "./edit-failure.js";
import { applyElided, isElisionMarker } from "./elision.js";
import {
  type FileText,
  hasFinalNewline,
  joinFileText,
  spliceLines,
  splitFileText,
  toLines,
  withFinalNewline,
} from "./file-text.js";
import { ALREADY_APPLIED, alreadyApplied, conflictMessage, locate, locateWithinLine } from "./locate.js";
import { nearestLines } from "./nearest.js";
import { checkTextContent, checkWritablePath } from "./path-rules.js";
import { findDroppingPlaceholder } from "./placeholder.js";
import type {
  ApplyOptions,
  ApplyResult,
  EditOutcome,
  FileChange,
  ParsedEdit,
  SearchReplaceEdit,
  UnifiedDiffEdit,
  WholeFileEdit,
} from "./types.js";

interface FileState {
  original: string | null;
  current: FileText | null;
}

const EMPTY: FileText = { bom: false, lines: [], endings: [], eol: "\n" };

function newFile(lines: readonly string[], finalNewline: boolean, eol: "\n" | "\r\n" = "\n"): FileText {
  return withFinalNewline({ ...EMPTY, eol, lines: [...lines], endings: lines.map(() => eol) }, finalNewline);
}

/** A file without any line terminator has no line-ending style of its own; it takes the edit's. */
function styled(current: FileText, edit: ParsedEdit): FileText {
  const unstyled = current.endings.every((ending) => ending === "");
  return unstyled && edit.lineEnding ? { ...current, eol: edit.lineEnding } : current;
}

function replaceAll(
  text: FileText,
  lines: readonly string[],
  finalNewline = hasFinalNewline(text),
): FileText {
  return spliceLines(text, 0, text.lines.length, [...lines], finalNewline);
}

/**
 * A comment that says code was left out ("// ... rest unchanged") where lines of the original would
 * vanish: writing it would delete that code. The drafter is told why and what to do instead.
 */
function refusePlaceholder(before: readonly string[], after: readonly string[], where: string): void {
  const found = findDroppingPlaceholder(before, after);
  if (!found) return;
  throw new EditFailure(
    `the ${where} leaves code out: the placeholder comment "${found.line}" stands in for code — ${found.dropped} line(s) of the original that writing it would delete; write that code out in full, or quote less in SEARCH so the lines you keep are not part of the edit`,
  );
}

function applyWholeFile(edit: WholeFileEdit, current: FileText | null): { text: FileText; strategy: string } {
  const lines = toLines(edit.content);
  if (current === null) return { text: newFile(lines, true, edit.lineEnding), strategy: "new-file" };
  refusePlaceholder(current.lines, lines, "whole-file content");
  if (sameLines(current.lines, lines)) return { text: current, strategy: ALREADY_APPLIED };
  return { text: replaceAll(styled(current, edit), lines), strategy: "whole-file" };
}

function sameLines(left: readonly string[], right: readonly string[]): boolean {
  return left.length === right.length && left.every((line, index) => line === right[index]);
}

function applySearchReplace(
  edit: SearchReplaceEdit,
  current: FileText | null,
): { text: FileText; strategy: string } {
  const search = edit.search.map((line) => line.replace(/\r$/, ""));
  const replace = edit.replace.map((line) => line.replace(/\r$/, ""));
  const searchIsEmpty = search.every((line) => line.trim() === "");
  if (current === null) {
    if (!searchIsEmpty)
      throw new EditFailure(`${edit.file} does not exist; to create it, leave the SEARCH part empty`);
    return { text: newFile(replace, true, edit.lineEnding), strategy: "new-file" };
  }
  if (searchIsEmpty) {
    if (current.lines.every((line) => line.trim() === ""))
      return { text: replaceAll(styled(current, edit), replace, true), strategy: "empty-file" };
    throw new EditFailure("the SEARCH part is empty but the file is not; quote the lines to replace");
  }
  refusePlaceholder(search, replace, "REPLACE part");
  const located = locate(current.lines, search, replace);
  const already = alreadyApplied(current.lines, search, replace, located);
  if (already?.kind === "applied") return { text: current, strategy: ALREADY_APPLIED };
  if (already?.kind === "conflict") throw new EditFailure(conflictMessage(already), search);
  if (located.kind === "found") {
    return {
      text: spliceLines(current, located.start, located.end, located.replacement),
      strategy: located.strategy,
    };
  }
  if (located.kind === "ambiguous") {
    throw new EditFailure(
      `the SEARCH text matches at ${located.lines.length} places (lines ${located.lines.join(", ")}); include more surrounding lines so it matches once`,
      search,
    );
  }
  const elided = applyElided(current.lines, search, replace);
  if (elided.kind === "applied") return { text: replaceAll(current, elided.lines), strategy: "elision" };
  if (elided.kind === "failed") throw new EditFailure(elided.reason, search);
  const inline = locateWithinLine(current.lines, search, replace);
  if (inline.kind === "found")
    return {
      text: spliceLines(current, inline.start, inline.end, inline.replacement),
      strategy: inline.strategy,
    };
  if (inline.kind === "ambiguous") {
    throw new EditFailure(
      `the SEARCH text occurs ${inline.lines.length} times inside long lines (lines ${inline.lines.join(", ")}); quote more of the line so it matches once`,
      search,
    );
  }
  throw new EditFailure(
    "the SEARCH text was not found, not even ignoring whitespace, indentation and blank lines",
    search,
  );
}

function applyUnifiedDiff(
  edit: UnifiedDiffEdit,
  current: FileText | null,
): { text: FileText | null; strategy: string } {
  const endsWithoutNewline = edit.hunks.some((hunk) => hunk.newNoNewline);
  const oldEndedWithout = edit.hunks.some((hunk) => hunk.oldNoNewline);
  if (edit.isNew) {
    if (current?.lines.some((line) => line.trim() !== "")) {
      throw new EditFailure(`the diff creates ${edit.file}, but it already exists`);
    }
    const body = edit.hunks.flatMap((hunk) => hunk.lines);
    if (body.some((line) => line.kind !== "+"))
      throw new EditFailure("a diff that creates a file may only contain + lines");
    return {
      text: newFile(
        body.map((line) => line.text),
        !endsWithoutNewline,
        edit.lineEnding,
      ),
      strategy: "new-file",
    };
  }
  if (current === null) throw new EditFailure(`${edit.file} does not exist`);
  if (edit.isDelete && edit.hunks.length === 0) return { text: null, strategy: "delete-file" };
  for (const hunk of edit.hunks) {
    const oldSide = hunk.lines.filter((line) => line.kind !== "+").map((line) => line.text);
    const newSide = hunk.lines.filter((line) => line.kind !== "-").map((line) => line.text);
    refusePlaceholder(oldSide, newSide, "diff");
  }
  let lines = [...current.lines];
  const strategies = new Set<string>();
  let delta = 0;
  for (const hunk of edit.hunks) {
    const before = lines.length;
    const applied = applyHunk(lines, hunk, delta);
    lines = applied.lines;
    strategies.add(applied.strategy);
    delta += lines.length - before;
  }
  if (edit.isDelete) {
    if (lines.some((line) => line.trim() !== "")) {
      throw new EditFailure(
        `the diff deletes ${edit.file} but does not remove all of its lines; the file has other content`,
      );
    }
    return { text: null, strategy: "delete-file" };
  }
  const finalNewline = endsWithoutNewline ? false : oldEndedWithout ? true : hasFinalNewline(current);
  const text = replaceAll(styled(current, edit), lines, lines.length === 0 ? true : finalNewline);
  if (strategies.size === 1 && strategies.has(ALREADY_APPLIED))
    return { text: current, strategy: ALREADY_APPLIED };
  return { text, strategy: [...strategies].join(",") || "exact" };
}

function failureDetails(
  error: unknown,
  current: FileText | null,
): Pick<EditOutcome, "reason" | "didYouMean" | "didYouMeanLine"> {
  const reason = error instanceof Error ? error.message : String(error);
  if (!(error instanceof EditFailure) || current === null || error.search.length === 0) return { reason };
  const search = error.search.filter((line) => !isElisionMarker(line));
  const near = nearestLines(current.lines, search);
  return near ? { reason, didYouMean: near.lines.join("\n"), didYouMeanLine: near.start + 1 } : { reason };
}

export function applyEditsInMemory(
  edits: ParsedEdit[],
  read: (file: string) => string | null,
  options: ApplyOptions = {},
): ApplyResult {
  const files = new Map<string, FileState>();
  const outcomes: EditOutcome[] = [];
  const seen = new Map<string, EditOutcome>();
  for (const edit of edits) {
    const base = { index: edit.index, file: edit.file, format: edit.format };
    // A block the reply repeats verbatim is one edit: applying it twice would write its change twice.
    const { index: _index, lineEnding: _ending, ...content } = edit;
    const key = JSON.stringify(content);
    const first = seen.get(key);
    if (first) {
      outcomes.push({
        ...base,
        status: first.status,
        strategy: "repeated block (applied once)",
        note: "repeated",
        repeats: first.index + 1,
        ...(first.status === "failed" ? { reason: `repeats block #${first.index + 1}, which failed` } : {}),
      });
      continue;
    }
    let state: FileState | undefined;
    try {
      checkWritablePath(edit.file);
      state = files.get(edit.file);
      if (!state) {
        const original = read(edit.file);
        state = { original, current: original === null ? null : splitFileText(original) };
        files.set(edit.file, state);
      }
      const applied =
        edit.format === "whole-file"
          ? applyWholeFile(edit, state.current)
          : edit.format === "search-replace"
            ? applySearchReplace(edit, state.current)
            : applyUnifiedDiff(edit, state.current);
      if (applied.text !== null) checkTextContent(edit.file, joinFileText(applied.text));
      state.current = applied.text;
      outcomes.push({
        ...base,
        status: "applied",
        strategy: applied.strategy,
        ...(applied.strategy === ALREADY_APPLIED ? { note: "already-applied" as const } : {}),
      });
    } catch (error) {
      outcomes.push({ ...base, status: "failed", ...failureDetails(error, state?.current ?? null) });
    }
    const outcome = outcomes[outcomes.length - 1];
    if (outcome) seen.set(key, outcome);
  }
  const ok = outcomes.every((outcome) => outcome.status === "applied");
  const changes: FileChange[] = [];
  if (ok || options.partial) {
    for (const [file, state] of files) {
      const after = state.current === null ? null : joinFileText(state.current);
      if (after !== state.original) changes.push({ file, before: state.original, after });
    }
  }
  return { ok, outcomes, changes };
}
