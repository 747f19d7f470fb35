/**
 * Benchmark cases: a true edit of a real file, then the reply a model might send for it, perturbed
 * the way models perturb edits. `expected` is the file the edit intends; for cases where the only
 * right answer is refusal (ambiguous duplicates, whole files with elided code), `mustRefuse` is set.
 */
import { renderUnifiedDiff } from "../src/edits/index.js";
import type { SourceFile } from "./edits-corpus.js";

export interface BenchCase {
  format: "search-replace" | "unified-diff" | "whole-file";
  perturbation: string;
  path: string;
  before: string;
  expected: string;
  reply: string;
  mustRefuse: boolean;
}

type Random = () => number;

function pick<T>(items: readonly T[], random: Random): T {
  return items[Math.floor(random() * items.length)] as T;
}

function lead(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? "";
}

const blank = (line: string) => line.trim() === "";

function occurrences(lines: readonly string[], block: readonly string[]): number[] {
  const found: number[] = [];
  for (let start = 0; start + block.length <= lines.length; start++) {
    if (block.every((line, offset) => lines[start + offset] === line)) found.push(start);
  }
  return found;
}

function markerComment(language: SourceFile["language"]): string {
  return language === "python" ? "  # hierocode-bench edit" : " /* hierocode-bench edit */";
}

function insertedLine(language: SourceFile["language"], indent: string, number: number): string {
  return language === "python"
    ? `${indent}hierocode_bench_${number} = ${number}`
    : `${indent}hierocodeBench${number}();`;
}

/** Changes 1–2 lines of a region: append a comment, insert a statement or delete a line. */
function modifyRegion(
  region: readonly string[],
  language: SourceFile["language"],
  random: Random,
  onlyAt?: number[],
): string[] {
  const result = [...region];
  const steps = 1 + Math.floor(random() * 2);
  for (let step = 0; step < steps; step++) {
    const choices = (onlyAt ?? result.map((_, index) => index)).filter(
      (index) => !blank(result[index] ?? ""),
    );
    if (choices.length === 0) break;
    const index = pick(choices, random);
    const line = result[index] ?? "";
    const kind = random();
    if (kind < 0.5 || onlyAt) result[index] = line + markerComment(language);
    else if (kind < 0.8) result.splice(index + 1, 0, insertedLine(language, lead(line), index));
    else if (result.filter((entry) => !blank(entry)).length > 2) result.splice(index, 1);
    else result[index] = line + markerComment(language);
  }
  return result;
}

export interface TrueEdit {
  start: number;
  end: number;
  search: string[];
  replace: string[];
  after: string[];
}

/** A unique region of `length` lines and a modification of it; null when no suitable region was found. */
export function trueEdit(
  lines: readonly string[],
  language: SourceFile["language"],
  random: Random,
  length: number,
  accept: (region: string[]) => boolean = () => true,
  onlyAt?: (region: string[]) => number[],
): TrueEdit | null {
  for (let attempt = 0; attempt < 80; attempt++) {
    const start = Math.floor(random() * Math.max(1, lines.length - length));
    const search = lines.slice(start, start + length);
    if (search.length < length || search.filter((line) => !blank(line)).length < 2) continue;
    if (blank(search[0] ?? "") || blank(search[search.length - 1] ?? "")) continue;
    if (!accept(search) || occurrences(lines, search).length !== 1) continue;
    const replace = modifyRegion(search, language, random, onlyAt?.(search));
    if (replace.join("\n") === search.join("\n")) continue;
    const after = [...lines.slice(0, start), ...replace, ...lines.slice(start + length)];
    return { start, end: start + length, search, replace, after };
  }
  return null;
}

export function toCrlf(text: string): string {
  return text.replace(/\n/g, "\r\n");
}

export function searchReplaceReply(
  path: string,
  language: string,
  search: readonly string[],
  replace: readonly string[],
): string {
  return [
    "I made the requested change.",
    "",
    path,
    `\`\`\`${language}`,
    "<<<<<<< SEARCH",
    ...search,
    "=======",
    ...replace,
    ">>>>>>> REPLACE",
    "```",
    "",
    "Let me know if you want anything else.",
    "",
  ].join("\n");
}

export function wholeFileReply(path: string, language: string, content: string, heading: boolean): string {
  return heading
    ? `### ${path}\n\`\`\`\n${content}\`\`\`\n`
    : `Here is the full updated file:\n\n${path}\n\`\`\`${language}\n${content}\`\`\`\n\nThat's all.\n`;
}

export function unifiedDiffFor(path: string, before: string, after: string): string {
  return renderUnifiedDiff([{ file: path, before, after }]);
}

/** A duplicated block of 2–3 non-blank lines (occurring at least twice) to build ambiguous edits on. */
export function duplicatedBlock(
  lines: readonly string[],
  random: Random,
): { block: string[]; first: number; second: number } | null {
  const seen = new Map<string, number[]>();
  for (let start = 0; start + 2 <= lines.length; start++) {
    const block = lines.slice(start, start + 2);
    if (block.some(blank) || block.join("").trim().length < 24) continue;
    const key = block.join("\n");
    const list = seen.get(key) ?? [];
    list.push(start);
    seen.set(key, list);
  }
  const duplicated = [...seen.entries()].filter(
    ([, starts]) => starts.length >= 2 && (starts[1] ?? 0) - (starts[0] ?? 0) >= 2,
  );
  if (duplicated.length === 0) return null;
  const [key, starts] = pick(duplicated, random);
  return { block: key.split("\n"), first: starts[0] ?? 0, second: starts[1] ?? 0 };
}

export function commonIndentOf(lines: readonly string[]): string {
  let common: string | null = null;
  for (const line of lines) {
    if (blank(line)) continue;
    const current = lead(line);
    if (common === null) common = current;
    else {
      let length = 0;
      while (length < common.length && length < current.length && common[length] === current[length])
        length++;
      common = common.slice(0, length);
    }
  }
  return common ?? "";
}

/** Uniformly shifts indentation: removes the block's common indentation, or adds four spaces when there is none. */
export function shiftIndent(lines: readonly string[], common: string): string[] {
  return lines.map((line) =>
    blank(line)
      ? line
      : common === ""
        ? `    ${line}`
        : line.startsWith(common)
          ? line.slice(common.length)
          : line.trimStart(),
  );
}

/** Rewrites 4-space indentation as 2-space (the model used another indentation unit); null when not applicable. */
export function halveIndent(lines: readonly string[]): string[] | null {
  const widths = lines.filter((line) => !blank(line)).map((line) => lead(line));
  if (widths.some((indent) => indent.includes("\t") || indent.length % 4 !== 0)) return null;
  if (new Set(widths.map((indent) => indent.length)).size < 2) return null;
  return lines.map((line) => (blank(line) ? line : " ".repeat(lead(line).length / 2) + line.trimStart()));
}

export { blank, lead, occurrences, pick };
