/**
 * Benchmark rows for how today's models reply (issue 10): reasoning around the edit, a block given
 * twice, an edit the file already has, a stale hunk whose `-` line also stands elsewhere, a
 * placeholder comment standing in for code, and a SEARCH that is a fragment of one long line.
 * Each builds a case from a real file; `expected` is the right file (the unchanged file where the
 * change is already there, the untouched file where refusal is the only right answer).
 */
import {
  type BenchCase,
  blank,
  lead,
  occurrences,
  pick,
  searchReplaceReply,
  trueEdit,
  unifiedDiffFor,
  wholeFileReply,
} from "./edits-cases.js";
import type { SourceFile } from "./edits-corpus.js";

type Random = () => number;
type Builder = (source: SourceFile, random: Random) => BenchCase | null;

const fence = (source: SourceFile) => (source.language === "python" ? "python" : "js");
const joinLines = (lines: readonly string[]) => `${lines.join("\n")}\n`;
const intended = (lines: readonly string[], source: SourceFile) =>
  source.content.endsWith("\n") ? joinLines(lines) : lines.join("\n");
const fileLines = (source: SourceFile) => source.content.replace(/\n$/, "").split("\n");
/** Where refusal is the only right answer, no file is "expected": leaving it untouched counts as refused. */
const refusalOnly = (before: string) => `${before}\u0000(refusal is the only right answer)`;

type Format = "search-replace" | "unified-diff";

/** The reply for one true edit in `format`. */
function replyFor(format: Format, source: SourceFile, search: string[], replace: string[], after: string[]) {
  return format === "search-replace"
    ? searchReplaceReply(source.path, fence(source), search, replace)
    : unifiedDiffFor(source.path, source.content, intended(after, source));
}

/** The three ways reasoning reaches us: a `<think>` block, a lone `</think>`, harmony channels. */
function wrapReasoning(trial: string, answer: string, random: Random): string {
  const thinking = `Let me look at the file first. A first attempt:\n\n${trial}\nNo, that edits the wrong place. I will redo it.`;
  const style = Math.floor(random() * 3);
  if (style === 0) return `<think>\n${thinking}\n</think>\n\n${answer}`;
  if (style === 1) return `${thinking}\n</think>\n\n${answer}`;
  return `<|channel|>analysis<|message|>${thinking}<|end|><|start|>assistant<|channel|>final<|message|>${answer}<|return|>`;
}

/** The real edit, with a different trial edit of the same file inside the model's reasoning. */
function reasoningWrapper(format: Format): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const real = trueEdit(lines, source.language, random, 4 + Math.floor(random() * 3));
    const trial = trueEdit(lines, source.language, random, 4 + Math.floor(random() * 3));
    if (!real || !trial || (trial.start < real.end + 3 && real.start < trial.end + 3)) return null;
    return {
      format,
      perturbation: "reasoning wrapper",
      path: source.path,
      before: source.content,
      expected: intended(real.after, source),
      reply: wrapReasoning(
        replyFor(format, source, trial.search, trial.replace, trial.after),
        replyFor(format, source, real.search, real.replace, real.after),
        random,
      ),
      mustRefuse: false,
    };
  };
}

/** Half the edits append a line after the quoted region, so REPLACE contains SEARCH. */
function editOf(lines: string[], source: SourceFile, random: Random) {
  const edit = trueEdit(lines, source.language, random, 3 + Math.floor(random() * 3));
  if (!edit || random() < 0.5) return edit;
  const last = edit.search[edit.search.length - 1] ?? "";
  const added =
    source.language === "python"
      ? `${lead(last)}hierocode_bench_appended = 1`
      : `${lead(last)}hierocodeBenchAppended();`;
  const replace = [...edit.search, added];
  const after = [...lines.slice(0, edit.start), ...replace, ...lines.slice(edit.end)];
  return { ...edit, replace, after };
}

/** The same block (or the same diff) given twice in one reply. */
function repeatedBlock(format: Format): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const edit = editOf(lines, source, random);
    if (!edit) return null;
    const once = replyFor(format, source, edit.search, edit.replace, edit.after);
    return {
      format,
      perturbation: "repeated block",
      path: source.path,
      before: source.content,
      expected: intended(edit.after, source),
      reply: `${once}\nTo be sure, here it is again:\n\n${once}`,
      mustRefuse: false,
    };
  };
}

/** The file already has the change; the reply sends it again. The right result is the file unchanged. */
function alreadyApplied(format: Format): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const edit = editOf(lines, source, random);
    if (!edit) return null;
    const done = intended(edit.after, source);
    return {
      format,
      perturbation: "already applied",
      path: source.path,
      before: done,
      expected: done,
      reply: replyFor(format, source, edit.search, edit.replace, edit.after),
      mustRefuse: false,
    };
  };
}

/**
 * A stale hunk: made for an older file in which line X stood at p1; the file has since changed that
 * line, and X also occurs at p2 in other surroundings. Its `-`/`+` lines alone would match at p2,
 * which is the wrong place: refusal is the only right answer (git apply refuses; the is_guest/is_admin case).
 */
function staleHunk(): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const byText = new Map<string, number[]>();
    lines.forEach((line, index) => {
      if (line.trim().length < 12 || index < 3 || index + 4 > lines.length) return;
      byText.set(line, [...(byText.get(line) ?? []), index]);
    });
    const pairs = [...byText.entries()].filter(
      ([, places]) => places.length === 2 && Math.abs((places[1] ?? 0) - (places[0] ?? 0)) >= 10,
    );
    if (pairs.length === 0) return null;
    const [text, places] = pick(pairs, random);
    const p1 = random() < 0.5 ? (places[0] ?? 0) : (places[1] ?? 0);
    const contextBefore = lines.slice(p1 - 3, p1);
    const contextAfter = lines.slice(p1 + 1, p1 + 4);
    if ([...contextBefore, ...contextAfter].filter((line) => !blank(line)).length < 3) return null;
    const mark = source.language === "python" ? "  # changed since" : " /* changed since */";
    const current = [...lines];
    current[p1] = `${text}${mark}`;
    const block = [...contextBefore, text, ...contextAfter];
    if (occurrences(current, block).length > 0 || occurrences(current, contextBefore).length > 1) return null;
    const edited = `${text}${source.language === "python" ? "  # edit" : " /* edit */"}`;
    const reply = [
      `--- a/${source.path}`,
      `+++ b/${source.path}`,
      `@@ -${p1 - 2},7 +${p1 - 2},7 @@`,
      ...contextBefore.map((line) => ` ${line}`),
      `-${text}`,
      `+${edited}`,
      ...contextAfter.map((line) => ` ${line}`),
      "",
    ].join("\n");
    const before = intended(current, source);
    return {
      format: "unified-diff",
      perturbation: "stale hunk whose - line exists elsewhere",
      path: source.path,
      before,
      expected: refusalOnly(before),
      reply,
      mustRefuse: true,
    };
  };
}

/** Notes models write instead of code, in the file's comment syntax. */
function placeholderNote(source: SourceFile, random: Random, keptName: string): string {
  const notes = [
    "... omitted for brevity",
    "rest unchanged",
    "(unchanged fields...)",
    `(...${keptName} stays as it was)`,
    "rest of the function remains the same",
    "existing code here",
    "same as before",
    "other methods unchanged",
    "... remaining lines as they were ...",
    "keep the original implementation as-is",
  ];
  const note = pick(notes, random);
  if (source.language === "python") return `# ${note}`;
  return random() < 0.5 ? `// ${note}` : `/* ${note} */`;
}

/** A REPLACE / whole file / diff that puts a placeholder comment where real lines were: must be refused. */
function placeholderComment(format: Format | "whole-file"): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const length = 8 + Math.floor(random() * 5);
    const edit = trueEdit(lines, source.language, random, length, undefined, () => [0, 1]);
    if (!edit) return null;
    const keep = 3;
    const dropped = edit.search.slice(keep).filter((line) => !blank(line));
    if (dropped.length < 2) return null;
    const name = /[A-Za-z_]\w+/.exec(dropped[0] ?? "")?.[0] ?? "the rest";
    const note = `${lead(edit.search[keep] ?? "")}${placeholderNote(source, random, `${name}()`)}`;
    const lazyReplace = [...edit.replace.slice(0, edit.replace.length - (edit.search.length - keep)), note];
    const lazyAfter = [...lines.slice(0, edit.start), ...lazyReplace, ...lines.slice(edit.end)];
    let reply: string;
    if (format === "search-replace")
      reply = searchReplaceReply(source.path, fence(source), edit.search, lazyReplace);
    else if (format === "unified-diff")
      reply = unifiedDiffFor(source.path, source.content, intended(lazyAfter, source));
    else reply = wholeFileReply(source.path, fence(source), joinLines(lazyAfter), false);
    return {
      format,
      perturbation: "placeholder comment",
      path: source.path,
      before: source.content,
      expected: refusalOnly(source.content),
      reply,
      mustRefuse: true,
    };
  };
}

/** The control: a comment with the same words that drops nothing is a genuine comment and is applied. */
function genuineComment(): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const edit = trueEdit(lines, source.language, random, 4 + Math.floor(random() * 3));
    // Only edits that delete nothing: the comment is then all that is new, and it drops nothing.
    if (!edit || edit.replace.length < edit.search.length) return null;
    const at = 1 + Math.floor(random() * (edit.replace.length - 1));
    const note = `${lead(edit.replace[at] ?? "")}${placeholderNote(source, random, "cleanup()")}`;
    const replace = [...edit.replace.slice(0, at), note, ...edit.replace.slice(at)];
    const after = [...lines.slice(0, edit.start), ...replace, ...lines.slice(edit.end)];
    return {
      format: "search-replace",
      perturbation: "genuine comment (drops nothing)",
      path: source.path,
      before: source.content,
      expected: intended(after, source),
      reply: searchReplaceReply(source.path, fence(source), edit.search, replace),
      mustRefuse: false,
    };
  };
}

/**
 * A minified region: 10–30 lines joined into one long line. The SEARCH is a fragment of that line
 * that occurs once in the file; the right result replaces it within the line.
 */
function intraLineFragment(): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const count = 10 + Math.floor(random() * 20);
    const start = Math.floor(random() * Math.max(1, lines.length - count));
    const region = lines
      .slice(start, start + count)
      .map((line) => line.trim())
      .filter(Boolean);
    const joined = region.join(" ");
    if (joined.length < 240) return null;
    const minified = [...lines.slice(0, start), joined, ...lines.slice(start + count)];
    const whole = minified.join("\n");
    for (let attempt = 0; attempt < 20; attempt++) {
      const from = Math.floor(random() * (joined.length - 60));
      const size = 20 + Math.floor(random() * 20);
      const fragment = joined.slice(from, from + size);
      if (fragment.trim() !== fragment || whole.indexOf(fragment) !== whole.lastIndexOf(fragment)) continue;
      const changed = `${fragment}${source.language === "python" ? " and hierocode_bench" : " /* edit */"}`;
      const after = [
        ...lines.slice(0, start),
        joined.replace(fragment, changed),
        ...lines.slice(start + count),
      ];
      return {
        format: "search-replace",
        perturbation: "intra-line fragment",
        path: source.path,
        before: intended(minified, source),
        expected: intended(after, source),
        reply: searchReplaceReply(source.path, fence(source), [fragment], [changed]),
        mustRefuse: false,
      };
    }
    return null;
  };
}

export const MODEL_REPLY_BUILDERS: { format: BenchCase["format"]; perturbation: string; build: Builder }[] = [
  { format: "search-replace", perturbation: "reasoning wrapper", build: reasoningWrapper("search-replace") },
  { format: "search-replace", perturbation: "repeated block", build: repeatedBlock("search-replace") },
  { format: "search-replace", perturbation: "already applied", build: alreadyApplied("search-replace") },
  {
    format: "search-replace",
    perturbation: "placeholder comment",
    build: placeholderComment("search-replace"),
  },
  { format: "search-replace", perturbation: "genuine comment (drops nothing)", build: genuineComment() },
  { format: "search-replace", perturbation: "intra-line fragment", build: intraLineFragment() },
  { format: "unified-diff", perturbation: "reasoning wrapper", build: reasoningWrapper("unified-diff") },
  { format: "unified-diff", perturbation: "repeated block", build: repeatedBlock("unified-diff") },
  { format: "unified-diff", perturbation: "already applied", build: alreadyApplied("unified-diff") },
  { format: "unified-diff", perturbation: "stale hunk whose - line exists elsewhere", build: staleHunk() },
  { format: "unified-diff", perturbation: "placeholder comment", build: placeholderComment("unified-diff") },
  { format: "whole-file", perturbation: "placeholder comment", build: placeholderComment("whole-file") },
];
