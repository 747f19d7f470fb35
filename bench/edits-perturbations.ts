/** Builds one benchmark case per (format, perturbation) from a real file; null when the file does not suit it. */
import {
  type BenchCase,
  blank,
  commonIndentOf,
  duplicatedBlock,
  halveIndent,
  lead,
  occurrences,
  searchReplaceReply,
  shiftIndent,
  toCrlf,
  trueEdit,
  unifiedDiffFor,
  wholeFileReply,
} from "./edits-cases.js";
import type { SourceFile } from "./edits-corpus.js";

type Random = () => number;
type Builder = (source: SourceFile, random: Random) => BenchCase | null;

const fence = (source: SourceFile) => (source.language === "python" ? "python" : "js");
const joinLines = (lines: readonly string[]) => `${lines.join("\n")}\n`;
/** The intended file keeps the original's final-newline state, as the engine must. */
const intended = (lines: readonly string[], source: SourceFile) =>
  source.content.endsWith("\n") ? joinLines(lines) : lines.join("\n");

function fileLines(source: SourceFile): string[] {
  return source.content.replace(/\n$/, "").split("\n");
}

function searchReplace(
  perturbation: string,
  transform: (
    search: string[],
    replace: string[],
    source: SourceFile,
    random: Random,
  ) => [string[], string[]] | null,
  options: { length?: number; crlf?: boolean; accept?: (region: string[]) => boolean } = {},
): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const edit = trueEdit(
      lines,
      source.language,
      random,
      options.length ?? 4 + Math.floor(random() * 4),
      options.accept,
    );
    if (!edit) return null;
    const perturbed = transform(edit.search, edit.replace, source, random);
    if (!perturbed) return null;
    const encode = options.crlf ? toCrlf : (text: string) => text;
    return {
      format: "search-replace",
      perturbation,
      path: source.path,
      before: encode(source.content),
      expected: encode(intended(edit.after, source)),
      reply: searchReplaceReply(source.path, fence(source), perturbed[0], perturbed[1]),
      mustRefuse: false,
    };
  };
}

function elided(): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const length = 10 + Math.floor(random() * 6);
    const edit = trueEdit(lines, source.language, random, length, undefined, (region) => [
      0,
      1,
      region.length - 2,
      region.length - 1,
    ]);
    if (!edit) return null;
    const marker = `${lead(edit.search[3] ?? "")}${source.language === "python" ? "#" : "//"} ... existing code ...`;
    const search = [...edit.search.slice(0, 3), marker, ...edit.search.slice(-3)];
    const replace = [...edit.replace.slice(0, 3), marker, ...edit.replace.slice(-3)];
    return {
      format: "search-replace",
      perturbation: "elided with ...",
      path: source.path,
      before: source.content,
      expected: intended(edit.after, source),
      reply: searchReplaceReply(source.path, fence(source), search, replace),
      mustRefuse: false,
    };
  };
}

/** Intended: the second of two identical blocks; the reply cannot say which. */
function ambiguous(format: "search-replace" | "unified-diff", correctNumbers = false): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const duplicate = duplicatedBlock(lines, random);
    if (!duplicate) return null;
    const { block, first, second } = duplicate;
    const changed = [
      ...block.slice(0, -1),
      `${block[block.length - 1] ?? ""}${source.language === "python" ? "  # edit" : " /* edit */"}`,
    ];
    const after = [...lines.slice(0, second), ...changed, ...lines.slice(second + block.length)];
    const old = block.length;
    // The model's line numbers are stale: a few lines off the first copy, never on the second.
    let hint = correctNumbers ? second + 1 : first + 1 + 2 + Math.floor(random() * 6);
    const copies = new Set(occurrences(lines, block).map((start) => start + 1));
    while (!correctNumbers && copies.has(hint)) hint++;
    const reply =
      format === "search-replace"
        ? searchReplaceReply(source.path, fence(source), block, changed)
        : [
            `--- a/${source.path}`,
            `+++ b/${source.path}`,
            `@@ -${hint},${old} +${hint},${old} @@`,
            ...block.slice(0, -1).map((line) => ` ${line}`),
            `-${block[block.length - 1] ?? ""}`,
            `+${changed[changed.length - 1] ?? ""}`,
            "",
          ].join("\n");
    const perturbation = correctNumbers ? "duplicate, correct line numbers" : "ambiguous duplicate";
    return {
      format,
      perturbation,
      path: source.path,
      before: source.content,
      expected: intended(after, source),
      reply,
      mustRefuse: !correctNumbers,
    };
  };
}

function unified(
  perturbation: string,
  transform: (diff: string, source: SourceFile, random: Random) => string | null,
  options: { crlf?: boolean; accept?: (region: string[]) => boolean } = {},
): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const first = trueEdit(lines, source.language, random, 3 + Math.floor(random() * 4), options.accept);
    if (!first) return null;
    let after = first.after;
    // Half the cases get a second change far below the first: a two-hunk diff.
    if (random() < 0.5) {
      const below = lines.slice(first.end + 12);
      const second = trueEdit(below, source.language, random, 3 + Math.floor(random() * 3));
      if (
        second &&
        !lines
          .slice(0, first.end + 12)
          .join("\n")
          .includes(second.search.join("\n"))
      ) {
        after = [
          ...lines.slice(0, first.start),
          ...first.replace,
          ...lines.slice(first.end, first.end + 12),
          ...second.after,
        ];
      }
    }
    const diff = unifiedDiffFor(source.path, source.content, intended(after, source));
    const reply = transform(diff, source, random);
    if (reply === null) return null;
    const encode = options.crlf ? toCrlf : (text: string) => text;
    return {
      format: "unified-diff",
      perturbation,
      path: source.path,
      before: encode(source.content),
      expected: encode(intended(after, source)),
      reply,
      mustRefuse: false,
    };
  };
}

function mapHunkHeaders(diff: string, map: (numbers: number[]) => string): string {
  return diff.replace(
    /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/gm,
    (_all, a: string, b: string | undefined, c: string, d: string | undefined) =>
      map([Number(a), b === undefined ? 1 : Number(b), Number(c), d === undefined ? 1 : Number(d)]),
  );
}

function mapBody(diff: string, map: (line: string) => string | null): string {
  const inHunk = { value: false };
  return diff
    .split("\n")
    .flatMap((line) => {
      if (line.startsWith("@@")) inHunk.value = true;
      else if (line.startsWith("diff --git")) inHunk.value = false;
      if (!inHunk.value || line.startsWith("@@") || line.startsWith("\\")) return [line];
      const mapped = map(line);
      return mapped === null ? [] : [mapped];
    })
    .join("\n");
}

function hasBlankContext(diff: string): boolean {
  return /^ [ \t]*$/m.test(diff);
}

function wholeFile(
  perturbation: string,
  options: { heading?: boolean; crlf?: boolean; lazy?: boolean },
): Builder {
  return (source, random) => {
    const lines = fileLines(source);
    const edit = trueEdit(lines, source.language, random, 4);
    if (!edit) return null;
    let content = edit.after;
    if (options.lazy) {
      const cut = Math.floor(content.length / 2);
      content = [
        ...content.slice(0, cut),
        `${source.language === "python" ? "#" : "//"} ... rest of the file unchanged ...`,
      ];
    }
    const encode = options.crlf ? toCrlf : (text: string) => text;
    return {
      format: "whole-file",
      perturbation,
      path: source.path,
      before: encode(source.content),
      expected: encode(intended(edit.after, source)),
      reply: wholeFileReply(source.path, fence(source), joinLines(content), options.heading ?? false),
      mustRefuse: options.lazy ?? false,
    };
  };
}

const trailing = (lines: string[]) => lines.map((line, index) => (index % 2 === 0 ? `${line}  ` : line));

export const BUILDERS: { format: BenchCase["format"]; perturbation: string; build: Builder }[] = [
  {
    format: "search-replace",
    perturbation: "clean",
    build: searchReplace("clean", (search, replace) => [search, replace]),
  },
  {
    format: "search-replace",
    perturbation: "indentation offset",
    build: searchReplace("indentation offset", (search, replace) => {
      const common = commonIndentOf(search);
      return [shiftIndent(search, common), shiftIndent(replace, common)];
    }),
  },
  {
    format: "search-replace",
    perturbation: "2-space indentation",
    build: searchReplace("2-space indentation", (search, replace) => {
      const halvedSearch = halveIndent(search);
      const halvedReplace = halveIndent(replace);
      return halvedSearch && halvedReplace ? [halvedSearch, halvedReplace] : null;
    }),
  },
  {
    format: "search-replace",
    perturbation: "trailing whitespace",
    build: searchReplace("trailing whitespace", (search, replace) => [trailing(search), trailing(replace)]),
  },
  {
    format: "search-replace",
    perturbation: "spurious blank lines",
    build: searchReplace("spurious blank lines", (search, replace) => [
      ["", ...search, ""],
      ["", ...replace, ""],
    ]),
  },
  {
    format: "search-replace",
    perturbation: "missing blank lines",
    build: searchReplace(
      "missing blank lines",
      (search, replace) => [search.filter((line) => !blank(line)), replace.filter((line) => !blank(line))],
      { length: 7, accept: (region) => region.some(blank) },
    ),
  },
  { format: "search-replace", perturbation: "elided with ...", build: elided() },
  {
    format: "search-replace",
    perturbation: "CRLF file",
    build: searchReplace("CRLF file", (search, replace) => [search, replace], { crlf: true }),
  },
  { format: "search-replace", perturbation: "ambiguous duplicate", build: ambiguous("search-replace") },

  { format: "unified-diff", perturbation: "clean", build: unified("clean", (diff) => diff) },
  {
    format: "unified-diff",
    perturbation: "wrong line numbers",
    build: unified("wrong line numbers", (diff, _source, random) => {
      const shift = (random() < 0.5 ? -1 : 1) * (3 + Math.floor(random() * 30));
      return mapHunkHeaders(
        diff,
        ([a = 1, b = 0, c = 1, d = 0]) =>
          `@@ -${Math.max(1, a + shift)},${b} +${Math.max(1, c + shift)},${d} @@`,
      );
    }),
  },
  {
    format: "unified-diff",
    perturbation: "wrong hunk counts",
    build: unified("wrong hunk counts", (diff) =>
      mapHunkHeaders(
        diff,
        ([a = 1, b = 0, c = 1, d = 0]) => `@@ -${a},${b + 2} +${c},${Math.max(0, d - 1)} @@`,
      ),
    ),
  },
  {
    format: "unified-diff",
    perturbation: "no line numbers (@@ @@)",
    build: unified("no line numbers (@@ @@)", (diff) => diff.replace(/^@@ .* @@/gm, "@@ @@")),
  },
  {
    format: "unified-diff",
    perturbation: "no a/ b/ prefixes",
    build: unified("no a/ b/ prefixes", (diff) =>
      diff
        .replace(/^diff --git .*\n/gm, "")
        .replace(/^--- a\//gm, "--- ")
        .replace(/^\+\+\+ b\//gm, "+++ "),
    ),
  },
  {
    format: "unified-diff",
    perturbation: "hunks only, filename line",
    build: unified(
      "hunks only, filename line",
      (diff, source) =>
        `${source.path}\n\`\`\`diff\n${diff.replace(/^(diff --git|---|\+\+\+) .*\n/gm, "")}\`\`\`\n`,
    ),
  },
  {
    format: "unified-diff",
    perturbation: "indentation offset",
    build: unified("indentation offset", (diff) => {
      const body = diff
        .split("\n")
        .filter((line) => /^[ +-]/.test(line) && !/^(---|\+\+\+) /.test(line))
        .map((line) => line.slice(1));
      const common = commonIndentOf(body);
      return mapBody(diff, (line) => line[0] + (shiftIndent([line.slice(1)], common)[0] ?? ""));
    }),
  },
  {
    format: "unified-diff",
    perturbation: "trailing whitespace",
    build: unified("trailing whitespace", (diff) =>
      mapBody(diff, (line) => (line.startsWith(" ") ? `${line}  ` : line)),
    ),
  },
  {
    format: "unified-diff",
    perturbation: "missing blank context",
    build: unified("missing blank context", (diff) =>
      hasBlankContext(diff) ? mapBody(diff, (line) => (/^ [ \t]*$/.test(line) ? null : line)) : null,
    ),
  },
  {
    format: "unified-diff",
    perturbation: "blank context without space",
    build: unified("blank context without space", (diff) =>
      hasBlankContext(diff) ? mapBody(diff, (line) => (/^ [ \t]*$/.test(line) ? "" : line)) : null,
    ),
  },
  {
    format: "unified-diff",
    perturbation: "CRLF file, LF diff",
    build: unified("CRLF file, LF diff", (diff) => diff, { crlf: true }),
  },
  { format: "unified-diff", perturbation: "ambiguous duplicate", build: ambiguous("unified-diff") },
  {
    format: "unified-diff",
    perturbation: "duplicate, correct line numbers",
    build: ambiguous("unified-diff", true),
  },

  { format: "whole-file", perturbation: "clean", build: wholeFile("clean", {}) },
  {
    format: "whole-file",
    perturbation: "### heading, bare fence",
    build: wholeFile("### heading, bare fence", { heading: true }),
  },
  { format: "whole-file", perturbation: "CRLF file", build: wholeFile("CRLF file", { crlf: true }) },
  {
    format: "whole-file",
    perturbation: "elided (lazy) content",
    build: wholeFile("elided (lazy) content", { lazy: true }),
  },
];
