/**
 * Placeholder comments: a model that writes `// ... omitted for brevity`, `# (unchanged fields...)`,
 * `<!-- rest of the page unchanged -->` or `// (...stop() stays as it was)` instead of code means
 * "keep what was there" — writing that text would delete the code it stands for. Detection is by
 * shape, not a phrase list: a line that is only a comment (in any comment syntax of the languages
 * the index knows, plus HTML/Markdown comments and a bracketed note) whose words say code was left
 * out. It is refused only where it replaces real lines of the original; a comment that drops nothing
 * is a genuine comment and is kept.
 */
import { diffArrays } from "diff";

/** Comment openers: C family, shell/Python/Ruby/YAML, SQL/Lua/Haskell, Lisp/asm/ini, TeX/Erlang, HTML/Markdown, JSX, OCaml/Pascal, Haskell block. */
const COMMENT_LINE =
  /^\s*(?:\/\/+!?|\/\*+|\*(?!\*?\/)|#+(?!!)|--+|;+|%+|<!--|\{\/\*|\(\*|\{-|REM\b)\s*(.*?)\s*(?:\*+\/\}?|-->|\*\)|-\})?\s*$/i;
/** A line that is only a bracketed note: `(rest unchanged)`, `[... unchanged ...]`. */
const BRACKET_LINE = /^\s*[([]\s*(.*?)\s*[)\]]\s*$/;

/** Words that say code was left out. Matched on the comment text, lower-cased. */
const LEFT_OUT = [
  /^(?:\.\.\.|…)|(?:\.\.\.|…)\s*[)\]]?$|[([]\s*(?:\.\.\.|…)/,
  /\b(?:omit(?:ted|s|ting)?|elided?|truncated|abbreviated|for brevity|left out|not shown|skipped|snipped?)\b/,
  /\bunchanged\b|\bno changes?\b|\bnot changed\b|\bas[- ]is\b/,
  /\b(?:the )?rest of\b|\bthe rest\b|^rest\b|\brest (?:is|are|stays?|remains?|unchanged)\b|\bremain(?:s|ing|der)?\b/,
  /\bexisting\b|\bsame as (?:before|above|original|existing|previous)\b|\bas (?:before|previously)\b/,
  /\b(?:stays?|stay the same|kept|keep)\b.*\b(?:was|were|is|are|before|same|unchanged|original)\b/,
  /\bas (?:it|they) (?:was|were|is|are)\b/,
  /\b(?:other|previous|original|more) (?:code|methods?|functions?|fields?|imports?|tests?|cases?|properties|lines?|content|implementation|entries|rules|styles|sections?)\b/,
  /\betc\.?\b/,
];

/** Code-looking comments (commented-out code) are not notes about left-out code. */
const CODE_LIKE = /[;{}=]\s*$|^\s*(?:return|if|for|while|def|function|class|import|const|let|var)\b.*[(:=]/;

/** The comment text of a line that is only a comment or bracketed note; null otherwise. */
function noteText(line: string): string | null {
  const comment = COMMENT_LINE.exec(line);
  if (comment) return comment[1] ?? "";
  const bracket = BRACKET_LINE.exec(line);
  return bracket ? (bracket[1] ?? "") : null;
}

/** True when `line` is a comment (or bracketed note) whose words say code was left out. */
export function isPlaceholderLine(line: string): boolean {
  const text = noteText(line);
  if (text === null) return false;
  const lower = text.toLowerCase();
  if (lower.split(/\s+/).filter(Boolean).length > 16) return false;
  if (CODE_LIKE.test(text) && !/(?:\.\.\.|…)/.test(text)) return false;
  return LEFT_OUT.some((pattern) => pattern.test(lower));
}

export interface PlaceholderFinding {
  /** 0-based index of the placeholder line in the new lines. */
  index: number;
  line: string;
  /** How many non-blank lines of the original it stands in for. */
  dropped: number;
}

/** How far (in lines of the new text) a removal may be from a placeholder to count as what it stands for. */
const WINDOW = 10;

/**
 * Finds a placeholder in `after` that replaces real lines of `before`: near the placeholder line
 * (within WINDOW lines) the change removes more non-blank lines than it writes. A rewritten comment
 * may become a placeholder-like comment (one removed comment pays for one placeholder). A placeholder
 * that already was in `before`, or that drops nothing (a genuine comment), is not reported.
 */
export function findDroppingPlaceholder(
  before: readonly string[],
  after: readonly string[],
): PlaceholderFinding | null {
  if (!after.some(isPlaceholderLine)) return null;
  const present = new Set(before.map((line) => line.trim()));
  const changes = diffArrays(before as string[], after as string[], {
    comparator: (left, right) => left.trimEnd() === right.trimEnd(),
  });
  const removed: { at: number; comment: boolean }[] = [];
  const added: { at: number; line: string }[] = [];
  let afterIndex = 0;
  for (const change of changes) {
    if (change.removed) {
      for (const line of change.value)
        if (line.trim() !== "") removed.push({ at: afterIndex, comment: noteText(line) !== null });
    } else if (change.added) {
      for (const line of change.value) added.push({ at: afterIndex++, line });
    } else afterIndex += change.value.length;
  }
  for (const entry of added) {
    if (!isPlaceholderLine(entry.line) || present.has(entry.line.trim())) continue;
    const near = (at: number) => at >= entry.at - WINDOW && at <= entry.at + WINDOW + 1;
    const gone = removed.filter((line) => near(line.at));
    const written = added.filter(
      (line) => near(line.at) && line.line.trim() !== "" && !isPlaceholderLine(line.line),
    ).length;
    const placeholders = added.filter((line) => near(line.at) && isPlaceholderLine(line.line)).length;
    const rewrittenComments = Math.min(placeholders, gone.filter((line) => line.comment).length);
    const dropped = gone.length - written - rewrittenComments;
    if (dropped > 0) return { index: entry.at, line: entry.line.trim(), dropped };
  }
  return null;
}
