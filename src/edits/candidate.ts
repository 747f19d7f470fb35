/** A place where a block of lines matched, and the indentation helpers the matchers share. */
import { isBlank } from "./file-text.js";

export interface Candidate {
  start: number;
  end: number;
  /** For each search line, the file line it matched (null: a blank search line the file lacks). */
  map: (number | null)[];
  /** Re-indents a line the edit adds so it sits in the file's indentation. */
  reindent: (line: string) => string;
}

export function leadingWhitespace(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? "";
}

export function commonIndent(lines: readonly string[]): string {
  let common: string | null = null;
  for (const line of lines) {
    if (isBlank(line)) continue;
    const lead = leadingWhitespace(line);
    if (common === null) common = lead;
    else {
      let length = 0;
      while (length < common.length && length < lead.length && common[length] === lead[length]) length++;
      common = common.slice(0, length);
    }
  }
  return common ?? "";
}
