/**
 * Models abbreviate: `...`, `// ... existing code ...`, `# rest of the function unchanged`.
 * In a SEARCH/REPLACE pair such markers split the block into pieces that are located one by one;
 * in a whole file they mean the model left code out, which must never be written to disk.
 */
import { type Located, locate } from "./locate.js";

const DOTS_LINE = /^\s*(?:(?:\/\/+|#+|\/\*+|<!--|--|;+|\*)\s*)?(?:\.\.\.|…)(?:[^\n]*?)(?:\*\/|-->)?\s*$/;
const WORDS_LINE =
  /^\s*(?:\/\/+|#+|\/\*+|<!--|--|;+|\*)\s*(?:\.\.\.|…)?\s*\(?\s*(?:(?:keep (?:the )?)?existing (?:code|implementation|methods|functions|imports)\b|rest of (?:the )?(?:code|file|function|class|method|module|implementation|body)\b|remaining (?:code|methods|functions|implementation)\b|(?:the )?(?:other )?(?:code|methods|functions|implementation|file|body) (?:remains?|stays?|is|are) (?:the same|unchanged)|same as before\b|unchanged(?: code)?\s*(?:\.\.\.|…)?\s*\)?\s*(?:\*\/|-->)?\s*$)/i;

export function isElisionMarker(line: string): boolean {
  if (WORDS_LINE.test(line)) return true;
  if (!DOTS_LINE.test(line)) return false;
  // `...` followed by code is a spread or an ellipsis expression, not an elision.
  const afterDots = line.replace(/^\s*(?:(?:\/\/+|#+|\/\*+|<!--|--|;+|\*)\s*)?(?:\.\.\.|…)/, "");
  return /^[\s\w,'()….-]*(?:\*\/|-->)?\s*$/.test(afterDots) && !/^\w/.test(afterDots);
}

/**
 * Comment-style elision in a whole file ("... existing code ..."): code was left out. A comment the
 * current file already contains is real content, not an elision.
 */
export function findLazyMarker(lines: readonly string[], existing: readonly string[] = []): number {
  const present = new Set(existing.map((line) => line.trim()));
  return lines.findIndex(
    (line) =>
      (WORDS_LINE.test(line) ||
        /^\s*(?:\/\/+|#+|\/\*+|<!--)\s*(?:\.\.\.|…)\s*(?:\*\/|-->)?\s*$/.test(line)) &&
      !present.has(line.trim()),
  );
}

function splitPieces(lines: readonly string[]): string[][] {
  const pieces: string[][] = [[]];
  for (const line of lines) {
    if (isElisionMarker(line)) pieces.push([]);
    else pieces[pieces.length - 1]?.push(line);
  }
  return pieces;
}

export type ElisionResult =
  | { kind: "applied"; lines: string[] }
  | { kind: "failed"; reason: string }
  | { kind: "not-elided" };

/** Applies a SEARCH/REPLACE pair whose SEARCH contains elision markers, piece by piece, in order. */
export function applyElided(
  file: readonly string[],
  search: readonly string[],
  replace: readonly string[],
): ElisionResult {
  if (!search.some(isElisionMarker)) return { kind: "not-elided" };
  const searchPieces = splitPieces(search);
  const replacePieces = splitPieces(replace);
  if (searchPieces.length !== replacePieces.length) {
    return {
      kind: "failed",
      reason:
        "SEARCH and REPLACE elide code (`...`) in a different number of places, so the elided parts cannot be kept",
    };
  }
  let lines = [...file];
  let cursor = 0;
  for (let index = 0; index < searchPieces.length; index++) {
    const searchPiece = searchPieces[index] ?? [];
    const replacePiece = replacePieces[index] ?? [];
    if (searchPiece.every((line) => line.trim() === "")) {
      if (replacePiece.some((line) => line.trim() !== "")) {
        return {
          kind: "failed",
          reason: "lines were added next to elided code (`...`) with nothing quoted to anchor them",
        };
      }
      continue;
    }
    const located: Located = locate(lines, searchPiece, replacePiece);
    if (located.kind === "ambiguous") {
      return {
        kind: "failed",
        reason: `piece ${index + 1} between \`...\` markers matches at ${located.lines.length} places (lines ${located.lines.join(", ")})`,
      };
    }
    if (located.kind === "not-found")
      return { kind: "failed", reason: `piece ${index + 1} between \`...\` markers was not found` };
    if (located.start < cursor)
      return {
        kind: "failed",
        reason: `piece ${index + 1} between \`...\` markers is found before the previous piece`,
      };
    lines = [...lines.slice(0, located.start), ...located.replacement, ...lines.slice(located.end)];
    cursor = located.start + located.replacement.length;
  }
  return { kind: "applied", lines };
}
