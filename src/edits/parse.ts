/**
 * Extracts edits from a model's raw reply, structurally: prose around the edits is skipped, fences
 * are optional, and anything that looks like an edit but cannot be read is reported as a problem
 * with the reason. Nothing is guessed silently: an edit without a file it can be tied to is a problem.
 */

import { splitReasoning } from "../providers/reasoning.js";
import { isDiffStart, isHunkHeader, parseDiffHeader, parseHunk } from "./parse-diff.js";
import { filenameFromFenceInfo, filenameFromLine, normalizePath } from "./parse-filename.js";
import type { DiffHunk, EditFormat, ParsedEdit, ParseOptions, ParseResult } from "./types.js";

const SEARCH_MARKER = /^\s*<{5,9}\s*(?:SEARCH|ORIGINAL)\b/i;
const DIVIDER_MARKER = /^\s*={5,9}\s*$/;
const REPLACE_MARKER = /^\s*>{5,9}\s*(?:REPLACE|UPDATED)\b/i;
/** `// filepath: src/a.ts` as the first line of a fenced file (an editor convention models copy). */
const FILEPATH_COMMENT =
  /^\s*(?:\/\/|#|--|;|<!--|\/\*)\s*(?:file ?path|file ?name|file|path)\s*:\s*(\S+?)\s*(?:-->|\*\/)?\s*$/i;
const FENCE_OPEN = /^\s*(`{3,}|~{3,})(.*)$/;

interface Fence {
  char: string;
  length: number;
  info: string;
}

interface ParseState {
  lines: string[];
  /** Which reply lines ended with CRLF. */
  crlf: boolean[];
  known: ReadonlySet<string>;
  defaultFile: string | undefined;
  lastFile: string | undefined;
  allowed: ReadonlySet<EditFormat>;
  result: ParseResult;
  nextIndex: number;
  /** Lines known to close a fence: a filename search upwards stops there (what lies above is code). */
  closingFences: Set<number>;
}

function openFence(line: string): Fence | null {
  const match = FENCE_OPEN.exec(line);
  if (!match) return null;
  const marker = match[1] ?? "";
  const info = (match[2] ?? "").trim();
  if (marker.startsWith("`") && info.includes("`")) return null;
  return { char: marker[0] ?? "`", length: marker.length, info };
}

/** Index of the closing fence line (or lines.length when the model never closed it). */
function findFenceEnd(lines: readonly string[], start: number, fence: Fence): number {
  let depth = 0;
  for (let index = start + 1; index < lines.length; index++) {
    const inner = openFence(lines[index] ?? "");
    if (!inner || inner.char !== fence.char) continue;
    if (inner.info !== "") depth++;
    else if (depth > 0) depth--;
    else return index;
  }
  return lines.length;
}

function excerptOf(lines: readonly string[], start: number, end: number): string {
  return lines
    .slice(start, Math.min(end, start + 8))
    .join("\n")
    .slice(0, 400);
}

/** Looks back from `start` over blank lines and fence openers for a filename line. */
function filenameBefore(state: ParseState, start: number): string | null {
  let checked = 0;
  for (let index = start - 1; index >= 0 && checked < 3; index--) {
    const line = state.lines[index] ?? "";
    if (line.trim() === "") continue;
    if (state.closingFences.has(index)) return null;
    const fence = openFence(line);
    if (fence) {
      // A bare fence may open this block or close the previous one; the lines above decide.
      const fromInfo = filenameFromFenceInfo(fence.info, state.known);
      if (fromInfo) return fromInfo;
      checked++;
      continue;
    }
    if (SEARCH_MARKER.test(line) || REPLACE_MARKER.test(line) || DIVIDER_MARKER.test(line)) return null;
    return filenameFromLine(line, state.known);
  }
  return null;
}

function addProblem(state: ParseState, reason: string, excerpt: string): void {
  state.result.problems.push({ index: state.nextIndex++, reason, excerpt });
}

function addEdit(
  state: ParseState,
  edit: ParsedEdit,
  start: number,
  end: number,
  counts: (line: string, index: number) => boolean = () => true,
): void {
  if (!state.allowed.has(edit.format)) {
    addProblem(state, `${edit.format} edits are not accepted here`, edit.file);
    return;
  }
  const endings: boolean[] = [];
  for (let index = start; index < Math.min(end, state.lines.length); index++) {
    if (counts(state.lines[index] ?? "", index)) endings.push(state.crlf[index] ?? false);
  }
  if (endings.length > 0 && endings.every(Boolean)) edit.lineEnding = "\r\n";
  state.result.edits.push(edit);
  state.lastFile = edit.file;
}

function parseSearchReplace(state: ParseState, start: number): number {
  const { lines } = state;
  const file = filenameBefore(state, start) ?? state.lastFile ?? state.defaultFile;
  const search: string[] = [];
  const replace: string[] = [];
  let index = start + 1;
  while (index < lines.length && !DIVIDER_MARKER.test(lines[index] ?? "")) {
    if (SEARCH_MARKER.test(lines[index] ?? "") || REPLACE_MARKER.test(lines[index] ?? "")) break;
    search.push(lines[index] ?? "");
    index++;
  }
  if (!DIVIDER_MARKER.test(lines[index] ?? "")) {
    addProblem(state, "SEARCH block without its ======= divider", excerptOf(lines, start, index + 1));
    return Math.max(index, start + 1);
  }
  index++;
  while (index < lines.length && !REPLACE_MARKER.test(lines[index] ?? "")) {
    if (SEARCH_MARKER.test(lines[index] ?? "") || DIVIDER_MARKER.test(lines[index] ?? "")) break;
    replace.push(lines[index] ?? "");
    index++;
  }
  if (!REPLACE_MARKER.test(lines[index] ?? "")) {
    addProblem(
      state,
      "SEARCH/REPLACE block without its >>>>>>> REPLACE end marker",
      excerptOf(lines, start, index),
    );
    return index;
  }
  if (!file) {
    addProblem(
      state,
      "SEARCH/REPLACE block without a filename; put the path on the line before the block",
      excerptOf(lines, start, index + 1),
    );
    return index + 1;
  }
  addEdit(state, { index: state.nextIndex++, file, format: "search-replace", search, replace }, start, index);
  return index + 1;
}

function parseDiffSection(state: ParseState, start: number): number {
  const { lines } = state;
  const isHeaderless = isHunkHeader(lines[start] ?? "");
  const filenameLine = isHeaderless ? filenameBefore(state, start) : null;
  const { header, next } = parseDiffHeader(lines, start, state.known);
  let index = next;
  const hunks: DiffHunk[] = [];
  while (index < lines.length) {
    let probe = index;
    while (probe < lines.length && (lines[probe] ?? "").trim() === "") probe++;
    if (!isHunkHeader(lines[probe] ?? "")) break;
    const { hunk, next: after } = parseHunk(lines, probe);
    hunks.push(hunk);
    index = after;
  }
  const end = Math.max(index, start + 1);
  const lastHunk = hunks[hunks.length - 1];
  const stray = lastHunk && !countsMet(lastHunk) ? strayHunkLine(lines, index) : null;
  if (stray !== null) {
    addProblem(
      state,
      `a line inside a diff hunk has no leading space, + or -: "${stray.slice(0, 80)}"; context lines need a leading space`,
      excerptOf(lines, start, index + 2),
    );
    return index + 1;
  }
  if (header.problem) {
    addProblem(state, header.problem, excerptOf(lines, start, end));
    return end;
  }
  const file = isHeaderless
    ? (filenameLine ?? state.lastFile ?? state.defaultFile)
    : (header.newPath ?? header.oldPath);
  if (!file) {
    addProblem(state, "diff hunk without a file header or filename", excerptOf(lines, start, end));
    return end;
  }
  if (hunks.length === 0 && !header.isNew && !header.isDelete) {
    addProblem(state, `diff for ${file} has no @@ hunks`, excerptOf(lines, start, end));
    return end;
  }
  const empty = hunks.find((hunk) => !hunk.lines.some((line) => line.kind !== " "));
  if (empty) {
    addProblem(state, `a diff hunk for ${file} has no + or - lines`, excerptOf(lines, start, end));
    return end;
  }
  addEdit(
    state,
    {
      index: state.nextIndex++,
      file,
      format: "unified-diff",
      hunks,
      isNew: header.isNew,
      isDelete: header.isDelete,
    },
    next,
    end,
    (line, index) => line.startsWith("+") && !(lines[index + 1] ?? "").startsWith("\\"),
  );
  return end;
}

function countsMet(hunk: DiffHunk): boolean {
  if (hunk.oldCount === undefined || hunk.newCount === undefined) return false;
  const oldSide = hunk.lines.filter((line) => line.kind !== "+").length;
  const newSide = hunk.lines.filter((line) => line.kind !== "-").length;
  return oldSide >= hunk.oldCount && newSide >= hunk.newCount;
}

/**
 * A hunk that stopped at an unprefixed line with more +/- lines right after it lost a context
 * line's leading space; reading on would guess, stopping silently would drop changes.
 */
function strayHunkLine(lines: readonly string[], index: number): string | null {
  const line = lines[index] ?? "";
  if (line.trim() === "" || /^\s*(`{3,}|~{3,})/.test(line) || isDiffStart(lines, index)) return null;
  const next = lines[index + 1] ?? "";
  return /^[+-]/.test(next) && !/^(\+\+\+|---) /.test(next) ? line : null;
}

function containsEdits(lines: readonly string[]): boolean {
  return lines.some((line, index) => SEARCH_MARKER.test(line) || isDiffStart(lines, index));
}

/**
 * Reads the edits in a model's reply. The model's reasoning (a leading `<think>` block, an answer
 * after a lone `</think>`, harmony analysis channels) is taken out first: trial edits a model writes
 * while thinking are never applied.
 */
export function parseEdits(
  reply: string,
  options: ParseOptions & { formats?: EditFormat[] } = {},
): ParseResult {
  const rawLines = splitReasoning(reply).answer.split("\n");
  const lines = rawLines.map((line) => line.replace(/\r$/, ""));
  const state: ParseState = {
    lines,
    crlf: rawLines.map((line) => line.endsWith("\r")),
    known: new Set((options.knownFiles ?? []).map(normalizePath)),
    defaultFile: options.defaultFile === undefined ? undefined : normalizePath(options.defaultFile),
    lastFile: undefined,
    allowed: new Set(options.formats ?? ["whole-file", "search-replace", "unified-diff"]),
    result: { edits: [], problems: [] },
    nextIndex: 0,
    closingFences: new Set<number>(),
  };
  const containerCloses = state.closingFences;
  const unnamed: { start: number; end: number; body: string[] }[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] ?? "";
    if (containerCloses.has(index)) {
      index++;
    } else if (SEARCH_MARKER.test(line)) {
      index = parseSearchReplace(state, index);
    } else if (isDiffStart(lines, index)) {
      index = parseDiffSection(state, index);
    } else {
      const fence = openFence(line);
      if (!fence) {
        index++;
        continue;
      }
      const end = findFenceEnd(lines, index, fence);
      const body = lines.slice(index + 1, end);
      if (containsEdits(body)) {
        containerCloses.add(end);
        index++;
        continue;
      }
      const firstLine = FILEPATH_COMMENT.exec(body[0] ?? "");
      const commented = firstLine ? normalizePath(firstLine[1] ?? "") : null;
      const file =
        filenameFromFenceInfo(fence.info, state.known) ?? filenameBefore(state, index) ?? commented;
      const content = commented !== null && commented === file ? body.slice(1) : body;
      if (file) {
        addEdit(
          state,
          { index: state.nextIndex++, file, format: "whole-file", content: joinContent(content) },
          index + 1,
          end,
        );
      } else {
        unnamed.push({ start: index, end, body });
      }
      state.closingFences.add(end);
      index = end + 1;
    }
  }
  resolveUnnamedBlocks(state, unnamed);
  state.result.edits.sort((left, right) => left.index - right.index);
  return state.result;
}

function joinContent(body: readonly string[]): string {
  return body.length === 0 ? "" : `${body.join("\n")}\n`;
}

/**
 * A fenced block without a filename is a whole-file edit only when it is the reply's only edit and
 * the caller said which file is meant; otherwise it is an illustration (ignored) or, when the reply
 * has no edit at all, a problem the model must fix.
 */
function resolveUnnamedBlocks(
  state: ParseState,
  unnamed: { start: number; end: number; body: string[] }[],
): void {
  const { result } = state;
  if (result.edits.length > 0 || result.problems.length > 0) return;
  const only = unnamed[0];
  if (unnamed.length === 1 && only && state.defaultFile) {
    addEdit(
      state,
      {
        index: state.nextIndex++,
        file: state.defaultFile,
        format: "whole-file",
        content: joinContent(only.body),
      },
      only.start + 1,
      only.end,
    );
    return;
  }
  if (unnamed.length === 0) {
    const text = state.lines.join("\n");
    if (state.defaultFile && text.trim() !== "" && !looksLikeProse(state.lines)) {
      addEdit(
        state,
        {
          index: state.nextIndex++,
          file: state.defaultFile,
          format: "whole-file",
          content: joinContent(trimBlankEdges(state.lines)),
        },
        0,
        state.lines.length - 1,
      );
    }
    return;
  }
  for (const block of unnamed) {
    addProblem(
      state,
      "fenced code block without a filename; put the path on the line before the fence",
      excerptOf(state.lines, block.start, block.end),
    );
  }
}

function trimBlankEdges(lines: readonly string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && (lines[start] ?? "").trim() === "") start++;
  while (end > start && (lines[end - 1] ?? "").trim() === "") end--;
  return lines.slice(start, end);
}

/** A bare reply (no fences, no markers) is taken as file content only if it does not open or close with prose. */
function looksLikeProse(lines: readonly string[]): boolean {
  const meaningful = trimBlankEdges(lines);
  const edges = [meaningful[0] ?? "", meaningful[meaningful.length - 1] ?? ""];
  return edges.some(
    (line) =>
      /^(here|sure|certainly|okay|ok|below|above|this|i |i'|the following|let me|note|hope)\b/i.test(
        line.trim(),
      ) || /^[A-Z][a-z]+(\s+[a-z']+){3,}.*[.:!]$/.test(line.trim()),
  );
}
