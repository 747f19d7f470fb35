/**
 * Matching when the model used a different indentation unit than the file (2 spaces for 4, spaces
 * for tabs): each line's nesting level must agree, and added lines are re-indented level by level
 * in the file's own unit, so the file keeps its indentation style.
 */

import { type Candidate, commonIndent, leadingWhitespace } from "./candidate.js";
import { isBlank } from "./file-text.js";

function width(whitespace: string): number {
  let total = 0;
  for (const character of whitespace) total += character === "\t" ? 4 : 1;
  return total;
}

function greatestCommonDivisor(left: number, right: number): number {
  return right === 0 ? left : greatestCommonDivisor(right, left % right);
}

interface Shape {
  base: string;
  unit: number;
  levels: (number | null)[];
}

function shapeOf(search: readonly string[]): Shape | null {
  const base = commonIndent(search);
  const widths = search.map((line) =>
    isBlank(line) ? null : width(leadingWhitespace(line).slice(base.length)),
  );
  const unit = widths.reduce<number>(
    (divisor, value) => (value ? greatestCommonDivisor(value, divisor) : divisor),
    0,
  );
  if (unit === 0) return null;
  return { base, unit, levels: widths.map((value) => (value === null ? null : value / unit)) };
}

function matchAt(
  file: readonly string[],
  search: readonly string[],
  start: number,
  shape: Shape,
): Candidate | null {
  let base: string | null = null;
  let unit: string | null = null;
  for (let offset = 0; offset < search.length; offset++) {
    const level = shape.levels[offset];
    const fileLine = file[start + offset];
    const searchLine = search[offset];
    if (fileLine === undefined || searchLine === undefined) return null;
    if (level === null || level === undefined) {
      if (!isBlank(fileLine)) return null;
      continue;
    }
    if (isBlank(fileLine) || fileLine.trim() !== searchLine.trim()) return null;
    const lead = leadingWhitespace(fileLine);
    if (level === 0) {
      if (base === null) base = lead;
      else if (base !== lead) return null;
    }
  }
  if (base === null) return null;
  for (let offset = 0; offset < search.length; offset++) {
    const level = shape.levels[offset];
    if (level === null || level === undefined || level === 0) continue;
    const lead = leadingWhitespace(file[start + offset] ?? "");
    if (!lead.startsWith(base)) return null;
    const rest = lead.slice(base.length);
    if (rest.length % level !== 0) return null;
    const candidateUnit = rest.slice(0, rest.length / level);
    if (candidateUnit === "" || candidateUnit.repeat(level) !== rest) return null;
    if (unit === null) unit = candidateUnit;
    else if (unit !== candidateUnit) return null;
  }
  if (unit === null) return null;
  const fileBase = base;
  const fileUnit = unit;
  const reindent = (line: string): string => {
    const lead = leadingWhitespace(line);
    const relative = width(lead.startsWith(shape.base) ? lead.slice(shape.base.length) : "");
    const levels = Math.floor(relative / shape.unit);
    return fileBase + fileUnit.repeat(levels) + " ".repeat(relative % shape.unit) + line.slice(lead.length);
  };
  return { start, end: start + search.length, map: search.map((_, offset) => start + offset), reindent };
}

export function relativeIndentCandidates(file: readonly string[], search: readonly string[]): Candidate[] {
  const shape = shapeOf(search);
  if (!shape) return [];
  const found: Candidate[] = [];
  for (let start = 0; start + search.length <= file.length; start++) {
    const candidate = matchAt(file, search, start, shape);
    if (candidate) found.push(candidate);
  }
  return found;
}
