/**
 * Applies parsed edits to an in-memory view of the repository. Pure: `read` supplies current
 * contents, so the pipeline can stack units on an overlay of earlier accepted edits. Every file keeps
 * its byte-order mark, line endings, final newline and indentation; lines the edit does not change
 * are copied from the file byte for byte.
 */
import { applyHunk } from "./apply-hunks.js";
import { EditFailure } from "./edit-failure.js";
import { applyElided, findLazyMarker, isElisionMarker } from "./elision.js";
import {
  type FileText,
  hasFinalNewline,
  joinFileText,
  spliceLines,
  splitFileText,
  toLines,
  withFinalNewline,
} from "./file-text.js";
import { locate } from "./locate.js";
import { nearestLines } from "./nearest.js";
import { checkWritablePath } from "./path-rules.js";
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

/** "// ... existing code ..." in new lines means the model left code out; writing it would delete that code. */
function refuseLazyAdditions(added: readonly string[], existing: readonly string[], where: string): void {
  const lazy = findLazyMarker(added, existing);
  if (lazy >= 0) {
    throw new EditFailure(
      `the ${where} stands in for code with a comment ("${added[lazy]?.trim()}") instead of writing it out; quote the code to keep in SEARCH pieces around \`...\` or write it in full`,
    );
  }
}

function applyWholeFile(edit: WholeFileEdit, current: FileText | null): { text: FileText; strategy: string } {
  const lines = toLines(edit.content);
  const lazy = findLazyMarker(lines, current?.lines ?? []);
  if (lazy >= 0) {
    throw new EditFailure(
      `the whole-file content leaves code out (line ${lazy + 1}: "${lines[lazy]?.trim()}"); send the complete file or a SEARCH/REPLACE block`,
    );
  }
  if (current === null) return { text: newFile(lines, true, edit.lineEnding), strategy: "new-file" };
  return { text: replaceAll(styled(current, edit), lines), strategy: "whole-file" };
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
  refuseLazyAdditions(replace, [...search, ...current.lines], "REPLACE part");
  const located = locate(current.lines, search, replace);
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
    const added = hunk.lines.filter((line) => line.kind === "+").map((line) => line.text);
    const shown = hunk.lines.filter((line) => line.kind !== "+").map((line) => line.text);
    refuseLazyAdditions(added, [...shown, ...current.lines], "diff");
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
  for (const edit of edits) {
    const base = { index: edit.index, file: edit.file, format: edit.format };
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
      state.current = applied.text;
      outcomes.push({ ...base, status: "applied", strategy: applied.strategy });
    } catch (error) {
      outcomes.push({ ...base, status: "failed", ...failureDetails(error, state?.current ?? null) });
    }
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
