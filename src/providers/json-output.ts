/**
 * The one JSON reader for everything a model returns (plans, verdicts, splits, escalations).
 * Structured output is asked of the provider whenever it can do it; this reads what actually came:
 * bare or fenced JSON with prose around it, after the model's reasoning is taken out
 * (providers/reasoning.ts). When several JSON values appear, the last complete one that validates
 * wins over earlier sketches. Trailing commas, comments, single quotes, unquoted keys and the like
 * are repaired by `jsonrepair` (a maintained library), and every repair is reported. When nothing
 * validates, the error names the real problem: a syntax error with its line and column, or the
 * schema path that failed.
 */
import { jsonrepair } from "jsonrepair";
import { splitReasoning } from "./reasoning.js";

export type JsonExtraction = { ok: true; value: unknown } | { ok: false; error: string };

/** What a validator says about one parsed candidate. */
export type JsonAcceptance<T> =
  | { ok: true; value: T; repairs?: string[] }
  | { ok: false; problems: string[] };

export type JsonRead<T> =
  | { ok: true; value: T; repairs: string[] }
  | {
      ok: false;
      /** One sentence: what is wrong (shown to the user and sent back to the model). */
      error: string;
      /** Schema problems of the last candidate (`path: message`), when JSON was found but did not validate. */
      problems: string[];
    };

/**
 * Index just past the bracket that closes the one at `start`, skipping string contents (double
 * or single quoted) and escapes; -1 when the text ends first or a bracket closes the wrong kind.
 */
export function findClosingBracket(text: string, start: number): number {
  const stack: string[] = [];
  let quote: string | null = null;
  for (let index = start; index < text.length; index += 1) {
    const char = text[index];
    if (quote !== null) {
      if (char === "\\") index += 1;
      else if (char === quote) quote = null;
      else if (char === "\n" && quote === "'") quote = null;
      continue;
    }
    if (char === '"') quote = char;
    else if (char === "'" && stack.length > 0 && /[\s,:[{]/.test(text[index - 1] ?? "")) quote = char;
    else if (char === "{") stack.push("}");
    else if (char === "[") stack.push("]");
    else if (char === "}" || char === "]") {
      if (stack.pop() !== char) return -1;
      if (stack.length === 0) return index + 1;
    }
  }
  return -1;
}

interface Candidate {
  start: number;
  text: string;
}

interface Parsed {
  start: number;
  value: unknown;
  repair?: string;
}

/** 1-based line and column of `offset` in `text`. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines[lines.length - 1] ?? "").length + 1 };
}

/** Top-level `{…}` (and `[…]` when no object closes) spans, in reading order. */
function candidates(answer: string): { found: Candidate[]; unclosed: number | null } {
  const found: Candidate[] = [];
  let unclosed: number | null = null;
  for (const opener of ["{", "["]) {
    let index = answer.indexOf(opener);
    while (index !== -1) {
      const end = findClosingBracket(answer, index);
      if (end === -1) {
        unclosed ??= index;
        index = answer.indexOf(opener, index + 1);
        continue;
      }
      found.push({ start: index, text: answer.slice(index, end) });
      index = answer.indexOf(opener, end);
    }
    if (found.length > 0) break;
  }
  return { found, unclosed };
}

/** Parses one candidate strictly, then through jsonrepair; the syntax error (with position) otherwise. */
function parseCandidate(
  answer: string,
  candidate: Candidate,
): { ok: true; parsed: Parsed } | { ok: false; error: string } {
  try {
    return { ok: true, parsed: { start: candidate.start, value: JSON.parse(candidate.text) } };
  } catch (strictError) {
    const message = (strictError as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position
      ? lineColumn(answer, candidate.start + Number(position[1]))
      : lineColumn(answer, candidate.start);
    const problem = `${message.replace(/ in JSON at position \d+(?: \(line \d+ column \d+\))?/, "")} at line ${where.line} column ${where.column}`;
    try {
      const value = JSON.parse(jsonrepair(candidate.text)) as unknown;
      return {
        ok: true,
        parsed: { start: candidate.start, value, repair: `repaired the JSON syntax (${problem})` },
      };
    } catch {
      return { ok: false, error: `JSON syntax error: ${problem}` };
    }
  }
}

/**
 * Reads the JSON answer in `text` (reasoning removed first). `accept` validates a parsed value
 * (and may repair it); without it, the last value that parses is taken. Never throws.
 */
export function readModelJson<T = unknown>(
  text: string,
  accept: (value: unknown) => JsonAcceptance<T> = (value) => ({ ok: true, value: value as T }),
): JsonRead<T> {
  const { answer } = splitReasoning(text);
  const { found, unclosed } = candidates(answer);
  const parsed: Parsed[] = [];
  let lastSyntaxError: string | undefined;
  for (const candidate of found) {
    const result = parseCandidate(answer, candidate);
    if (result.ok) parsed.push(result.parsed);
    else lastSyntaxError = result.error;
  }
  parsed.sort((left, right) => left.start - right.start);
  let lastProblems: string[] | undefined;
  for (let index = parsed.length - 1; index >= 0; index -= 1) {
    const candidate = parsed[index];
    if (!candidate) continue;
    const verdict = accept(candidate.value);
    if (verdict.ok) {
      const repairs = [...(candidate.repair ? [candidate.repair] : []), ...(verdict.repairs ?? [])];
      if (parsed.length > 1 && index < parsed.length - 1)
        repairs.push(`took JSON value ${index + 1} of ${parsed.length}; the later ones did not validate`);
      else if (parsed.length > 1) repairs.push(`took the last of ${parsed.length} JSON values`);
      return { ok: true, value: verdict.value, repairs };
    }
    lastProblems ??= verdict.problems;
  }
  if (lastProblems) {
    return {
      ok: false,
      error: `the JSON does not match the schema: ${lastProblems.slice(0, 3).join("; ")}`,
      problems: lastProblems,
    };
  }
  if (lastSyntaxError) return { ok: false, error: lastSyntaxError, problems: [] };
  if (unclosed !== null) {
    const where = lineColumn(answer, unclosed);
    return {
      ok: false,
      error: `the JSON value starting at line ${where.line} column ${where.column} is never closed (cut off?)`,
      problems: [],
    };
  }
  return {
    ok: false,
    error: answer.trim() === "" ? "the answer is empty" : "no JSON object found in the answer",
    problems: [],
  };
}

/** The last JSON value in `text` that parses (after reasoning is removed and syntax repaired). */
export function extractJson(text: string): JsonExtraction {
  const read = readModelJson(text);
  return read.ok ? { ok: true, value: read.value } : { ok: false, error: read.error };
}

/** Fills `json` (and a warning when it could not) for a result that was asked for a schema. */
export function attachJson(text: string, warnings: string[]): unknown {
  const extraction = extractJson(text);
  if (extraction.ok) return extraction.value;
  warnings.push(`the model was asked for JSON but its answer is not valid JSON: ${extraction.error}`);
  return undefined;
}
