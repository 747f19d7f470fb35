/**
 * Git-compatible unified diffs: `diff --git a/p b/p`, `new file mode` / `deleted file mode` with
 * `/dev/null`, exact hunk counts, three context lines, `\ No newline at end of file`. Lines keep
 * their own terminators, so CRLF files produce CRLF lines that `git apply` reproduces exactly.
 */
import { diffArrays } from "diff";
import type { FileChange } from "./types.js";

const CONTEXT = 3;

/** Lines with their terminators ("a\r\n", "b\n", "c"). */
function rawLines(content: string): string[] {
  return content.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

interface Operation {
  kind: " " | "-" | "+";
  line: string;
}

function operations(before: string[], after: string[]): Operation[] {
  const result: Operation[] = [];
  for (const change of diffArrays(before, after)) {
    const kind = change.added ? "+" : change.removed ? "-" : " ";
    for (const line of change.value) result.push({ kind, line });
  }
  return result;
}

function emitLine(operation: Operation): string {
  const text = `${operation.kind}${operation.line}`;
  return text.endsWith("\n") ? text : `${text}\n\\ No newline at end of file\n`;
}

function range(start: number, count: number): string {
  const shown = count === 0 ? start : start + 1;
  return count === 1 ? `${shown}` : `${shown},${count}`;
}

function hunks(before: string[], after: string[]): string {
  const all = operations(before, after);
  const changed = all
    .map((operation, index) => (operation.kind === " " ? -1 : index))
    .filter((index) => index >= 0);
  let output = "";
  let cursor = 0;
  while (cursor < changed.length) {
    const first = changed[cursor] ?? 0;
    let last = first;
    // Changes closer than twice the context share one hunk, as in git.
    while (cursor + 1 < changed.length && (changed[cursor + 1] ?? 0) - last <= 2 * CONTEXT + 1) {
      cursor++;
      last = changed[cursor] ?? last;
    }
    cursor++;
    const start = Math.max(0, first - CONTEXT);
    const end = Math.min(all.length, last + CONTEXT + 1);
    let oldStart = 0;
    let newStart = 0;
    for (const operation of all.slice(0, start)) {
      if (operation.kind !== "+") oldStart++;
      if (operation.kind !== "-") newStart++;
    }
    const slice = all.slice(start, end);
    const oldCount = slice.filter((operation) => operation.kind !== "+").length;
    const newCount = slice.filter((operation) => operation.kind !== "-").length;
    output += `@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@\n`;
    for (const operation of slice) output += emitLine(operation);
  }
  return output;
}

function quotePath(path: string): string {
  return /["\\\t\n\x00-\x1f\x7f]/.test(path) ? JSON.stringify(path) : path;
}

export function renderFileDiff(change: FileChange): string {
  if (change.before === change.after) return "";
  const a = quotePath(`a/${change.file}`);
  const b = quotePath(`b/${change.file}`);
  let header = `diff --git ${a} ${b}\n`;
  if (change.before === null) header += "new file mode 100644\n";
  if (change.after === null) header += "deleted file mode 100644\n";
  const before = rawLines(change.before ?? "");
  const after = rawLines(change.after ?? "");
  // Git writes no ---/+++ lines for an empty file being created or deleted.
  if (before.length === 0 && after.length === 0) return header;
  header += `--- ${change.before === null ? "/dev/null" : a}\n+++ ${change.after === null ? "/dev/null" : b}\n`;
  return header + hunks(before, after);
}

export function renderUnifiedDiff(changes: FileChange[]): string {
  return changes.map(renderFileDiff).join("");
}
