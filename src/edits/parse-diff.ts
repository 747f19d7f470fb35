/**
 * Unified diffs as models write them: with or without `diff --git` / `---` / `+++` headers,
 * with a/ b/ prefixes or none, with wrong or missing line numbers and counts, with blank
 * context lines whose leading space was stripped. Line numbers are kept only as hints.
 */

import { normalizePath, unquoteGitPath } from "./parse-filename.js";
import type { DiffHunk, HunkLine } from "./types.js";

const HUNK_NUMBERS = /^@@\s*-(\d+)(?:,(\d+))?\s+\+(\d+)(?:,(\d+))?\s*@@/;
const FENCE_LINE = /^\s*(`{3,}|~{3,})/;

export function isHunkHeader(line: string): boolean {
  return line.startsWith("@@");
}

function isFileHeaderAt(lines: readonly string[], index: number): boolean {
  return (lines[index]?.startsWith("--- ") ?? false) && (lines[index + 1]?.startsWith("+++ ") ?? false);
}

export function isDiffStart(lines: readonly string[], index: number): boolean {
  const line = lines[index] ?? "";
  return line.startsWith("diff --git ") || isFileHeaderAt(lines, index) || isHunkHeader(line);
}

export interface DiffHeader {
  oldPath: string | null;
  newPath: string | null;
  isNew: boolean;
  isDelete: boolean;
  problem?: string;
}

/** git's C-quoted names decoded (parse-filename.ts); a malformed one is kept quoted, so it is refused. */
function unquote(path: string): string {
  return unquoteGitPath(path) ?? path.trim();
}

/** Removes git's a/ and b/ prefixes only when the pair shows they are prefixes, not folders. */
function stripPrefixes(
  oldPath: string | null,
  newPath: string | null,
  known: ReadonlySet<string>,
): [string | null, string | null] {
  const prefixed =
    (oldPath === null || oldPath.startsWith("a/")) &&
    (newPath === null || newPath.startsWith("b/")) &&
    (oldPath ?? newPath) !== null;
  if (!prefixed) return [oldPath, newPath];
  const stripped: [string | null, string | null] = [oldPath?.slice(2) ?? null, newPath?.slice(2) ?? null];
  const wouldBeKnown = (path: string | null) => path !== null && known.has(path);
  // A repository that really has folders named a/ and b/ keeps them.
  if (known.size > 0 && !wouldBeKnown(stripped[0]) && !wouldBeKnown(stripped[1])) {
    if (wouldBeKnown(oldPath) || wouldBeKnown(newPath)) return [oldPath, newPath];
  }
  return stripped;
}

function headerPath(raw: string): string | null {
  const path = unquote(raw);
  if (path === "/dev/null" || path === "dev/null") return null;
  return normalizePath(path);
}

/** Reads `diff --git`, extended headers and `---`/`+++`, returning the header and the next line index. */
export function parseDiffHeader(
  lines: readonly string[],
  start: number,
  known: ReadonlySet<string>,
): { header: DiffHeader; next: number } {
  let index = start;
  let oldPath: string | null = null;
  let newPath: string | null = null;
  let sawPaths = false;
  let isNew = false;
  let isDelete = false;
  let problem: string | undefined;
  const first = lines[index] ?? "";
  if (first.startsWith("diff --git ")) {
    const match = /^diff --git ("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)\s*$/.exec(first);
    if (match) {
      oldPath = normalizePath(unquote(match[1] ?? ""));
      newPath = normalizePath(unquote(match[2] ?? ""));
      sawPaths = true;
    }
    index++;
    while (index < lines.length) {
      const line = lines[index] ?? "";
      if (line.startsWith("--- ") || isHunkHeader(line) || line.startsWith("diff --git ")) break;
      if (/^new file mode/.test(line)) isNew = true;
      else if (/^deleted file mode/.test(line)) isDelete = true;
      else if (/^(rename|copy) (from|to) /.test(line))
        problem = "renames and copies are not supported; send the new file whole and delete the old one";
      else if (/^Binary files /.test(line) || line.startsWith("GIT binary patch"))
        problem = "binary diffs are not supported";
      else if (!/^(index |old mode|new mode|similarity index|dissimilarity index)/.test(line)) break;
      index++;
    }
  }
  if (isFileHeaderAt(lines, index)) {
    const oldRaw = headerPath((lines[index] ?? "").slice(4));
    const newRaw = headerPath((lines[index + 1] ?? "").slice(4));
    if (oldRaw === null) isNew = true;
    if (newRaw === null) isDelete = true;
    [oldPath, newPath] = stripPrefixes(oldRaw, newRaw, known);
    sawPaths = true;
    index += 2;
  } else if (sawPaths) {
    [oldPath, newPath] = stripPrefixes(oldPath, newPath, known);
  }
  if (isNew && isDelete) problem = "the diff says the file is both new and deleted";
  if (oldPath !== null && newPath !== null && oldPath !== newPath && !problem) {
    problem = `the diff renames ${oldPath} to ${newPath}; renames are not supported`;
  }
  const header: DiffHeader = {
    oldPath: isNew ? null : oldPath,
    newPath: isDelete ? null : newPath,
    isNew,
    isDelete,
  };
  if (problem) header.problem = problem;
  return { header, next: index };
}

function classify(line: string): HunkLine | "marker" | null {
  if (line === "") return { kind: " ", text: "" };
  const first = line[0];
  if (first === " " || first === "-" || first === "+") return { kind: first, text: line.slice(1) };
  if (first === "\\") return "marker";
  return null;
}

function endsHunk(lines: readonly string[], index: number): boolean {
  const line = lines[index] ?? "";
  return (
    isHunkHeader(line) ||
    line.startsWith("diff --git ") ||
    isFileHeaderAt(lines, index) ||
    FENCE_LINE.test(line)
  );
}

function startsNextSection(lines: readonly string[], index: number): boolean {
  const line = lines[index] ?? "";
  if (isHunkHeader(line) || line.startsWith("diff --git ")) return true;
  return isFileHeaderAt(lines, index) && isHunkHeader(lines[index + 2] ?? "");
}

/** Parses one hunk starting at its `@@` line. Counts are trusted only as far as the lines agree. */
export function parseHunk(lines: readonly string[], start: number): { hunk: DiffHunk; next: number } {
  const numbers = HUNK_NUMBERS.exec(lines[start] ?? "");
  const hunk: DiffHunk = { lines: [] };
  if (numbers) {
    hunk.oldStart = Number(numbers[1]);
    hunk.oldCount = numbers[2] === undefined ? 1 : Number(numbers[2]);
    hunk.newStart = Number(numbers[3]);
    hunk.newCount = numbers[4] === undefined ? 1 : Number(numbers[4]);
  }
  let index = start + 1;
  let oldSeen = 0;
  let newSeen = 0;
  let countsMet = false;
  let trailingLenient = 0;
  while (index < lines.length) {
    const counting = hunk.oldCount !== undefined && !countsMet;
    if (!counting && endsHunk(lines, index)) break;
    if (counting && startsNextSection(lines, index)) break;
    const line = lines[index] ?? "";
    const parsed = classify(line);
    if (parsed === null) break;
    if (parsed === "marker") {
      const previous = hunk.lines[hunk.lines.length - 1];
      if (previous?.kind !== "+") hunk.oldNoNewline = true;
      if (previous?.kind !== "-") hunk.newNoNewline = true;
      index++;
      continue;
    }
    hunk.lines.push(parsed);
    if (parsed.kind !== "+") oldSeen++;
    if (parsed.kind !== "-") newSeen++;
    trailingLenient = !counting && line === "" ? trailingLenient + 1 : 0;
    index++;
    if (counting && oldSeen >= (hunk.oldCount ?? 0) && newSeen >= (hunk.newCount ?? 0)) countsMet = true;
  }
  // Empty lines after the counted part are more likely prose spacing than blank context.
  if (trailingLenient > 0) hunk.lines.splice(hunk.lines.length - trailingLenient, trailingLenient);
  return { hunk, next: index };
}
