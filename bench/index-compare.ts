/**
 * Symbol recall and precision of the index against ctags, per language and category. A ctags
 * tag is recalled when the index has a symbol of the same name in the same file whose line range
 * contains the tag's line; one of our symbols is precise when ctags has a tag of that name inside
 * its range (any kind — kind vocabularies differ between the two).
 */
import type { LanguageId } from "../src/repo/file-kinds.js";

export interface CtagsTag {
  name: string;
  path: string;
  line: number;
  kind: string;
  scope?: string;
  scopeKind?: string;
}

/** [path, name, kind, container, line, endLine] as bench/index-run.ts writes them. */
export type OurSymbolRow = [string, string, string, string | null, number, number];

export interface CategoryStats {
  ctags: number;
  ours: number;
  recall: number;
  precision: number;
}

type Category = "topLevel" | "classes" | "methods";

const ctagsClassKinds = new Set(["class", "struct", "interface", "enum", "trait", "union"]);
const ctagsTopKinds = new Set([...ctagsClassKinds, "function", "func", "namespace", "module", "method"]);
const ctagsOuterScopes = new Set(["namespace", "package", "module"]);
const ctagsTypeScopes = new Set(["class", "struct", "interface", "trait", "implementation", "enum", "union"]);

function ctagsCategories(tag: CtagsTag, language: LanguageId): Category[] {
  const out: Category[] = [];
  if (ctagsClassKinds.has(tag.kind)) out.push("classes");
  const inType = tag.scopeKind !== undefined && ctagsTypeScopes.has(tag.scopeKind);
  const method =
    ["method", "singletonMethod", "methodSpec"].includes(tag.kind) ||
    (tag.kind === "member" && language === "python") ||
    ((tag.kind === "function" || tag.kind === "func") && inType);
  if (method && inType) out.push("methods");
  const outer = tag.scopeKind === undefined || ctagsOuterScopes.has(tag.scopeKind);
  // Python's "namespace" tags are import aliases, not definitions.
  const importAlias = language === "python" && tag.kind === "namespace";
  if (outer && ctagsTopKinds.has(tag.kind) && !(method && inType) && !importAlias) out.push("topLevel");
  return out;
}

const ourClassKinds = new Set(["class", "struct", "interface", "enum", "trait"]);
const ourTopKinds = new Set([...ourClassKinds, "function", "module", "method"]);

/**
 * ctags' JavaScript parser calls object literals (`const X = {a: 1}`) and prototype-built
 * constructors "classes". Those are counted apart: a JS/TS "class" tag counts only when its line
 * holds the `class` keyword.
 */
export function isPseudoClass(
  tag: CtagsTag,
  language: LanguageId,
  lineText: (path: string, line: number) => string,
): boolean {
  if (tag.kind !== "class" || (language !== "javascript" && language !== "typescript" && language !== "tsx"))
    return false;
  return !/\bclass\b/.test(lineText(tag.path, tag.line));
}

/** ctags writes `operator <<`, tree-sitter's node text is `operator<<`. */
const normalize = (name: string) => name.replace(/\s+/g, "");

/**
 * C/C++ "functions" with all-caps names are macro calls ctags takes for definitions
 * (ncurses' `UNDEF(getch)()`, glibc's `__NTH (atoi (…))`); counted apart.
 */
export function isMacroFunction(tag: CtagsTag, language: LanguageId): boolean {
  if (language !== "c" && language !== "cpp") return false;
  return (tag.kind === "function" || tag.kind === "prototype") && /^_*[A-Z][A-Z0-9_]*$/.test(tag.name);
}

export function compareWithCtags(
  rows: OurSymbolRow[],
  tags: CtagsTag[],
  languageForPath: (path: string) => LanguageId | null,
  lineText: (path: string, line: number) => string,
): { stats: Record<string, Record<Category, CategoryStats>>; pseudoClasses: number; macroFunctions: number } {
  let pseudoClasses = 0;
  let macroFunctions = 0;
  const ourLines = new Map<string, Array<[number, number]>>();
  const moduleNames = new Map<string, Set<string>>();
  for (const [path, name, kind, container, line, endLine] of rows) {
    const key = `${path}\u0000${normalize(name)}`;
    const list = ourLines.get(key) ?? [];
    if (list.length === 0) ourLines.set(key, list);
    list.push([line, endLine]);
    if (kind === "module") {
      const names = moduleNames.get(path) ?? new Set<string>();
      moduleNames.set(path, names);
      names.add(container ? `${container}.${name}` : name);
    }
  }
  const tagLines = new Map<string, number[]>();
  for (const tag of tags) {
    const key = `${tag.path}\u0000${normalize(tag.name)}`;
    const list = tagLines.get(key) ?? [];
    if (list.length === 0) tagLines.set(key, list);
    list.push(tag.line);
  }

  const stats: Record<
    string,
    Record<Category, { ctags: number; ours: number; recalled: number; precise: number }>
  > = {};
  const bucket = (language: string) => {
    stats[language] ??= {
      topLevel: { ctags: 0, ours: 0, recalled: 0, precise: 0 },
      classes: { ctags: 0, ours: 0, recalled: 0, precise: 0 },
      methods: { ctags: 0, ours: 0, recalled: 0, precise: 0 },
    };
    return stats[language]!;
  };

  // BENCH_INDEX_MISSES=N prints up to N misses per language and category (diagnostics).
  const showMisses = Number(process.env.BENCH_INDEX_MISSES ?? "0");
  const shown = new Map<string, number>();
  const report = (what: string, language: string, category: string, detail: string) => {
    const key = `${what}:${language}:${category}`;
    const count = shown.get(key) ?? 0;
    if (count >= showMisses) return;
    shown.set(key, count + 1);
    console.error(`${what} ${language} ${category}: ${detail}`);
  };
  for (const tag of tags) {
    const language = languageForPath(tag.path);
    if (!language) continue;
    // ctags names anonymous functions/classes itself ("AnonymousFunction1b50…", "__anon…"); not definitions.
    if (/^(Anonymous|__anon)/.test(tag.name)) continue;
    // Misparses ("#", "$", "100") are not names.
    if (!/[A-Za-z]/.test(tag.name)) continue;
    if (isPseudoClass(tag, language, lineText)) {
      pseudoClasses++;
      continue;
    }
    if (isMacroFunction(tag, language)) {
      macroFunctions++;
      continue;
    }
    const found = (ourLines.get(`${tag.path}\u0000${normalize(tag.name)}`) ?? []).some(
      ([start, end]) => start <= tag.line && tag.line <= end,
    );
    for (const category of ctagsCategories(tag, language)) {
      const entry = bucket(language)[category];
      entry.ctags++;
      if (found) entry.recalled++;
      else
        report(
          "missed",
          language,
          category,
          `${tag.path}:${tag.line} ${tag.kind} ${tag.name} (${tag.scopeKind ?? ""} ${tag.scope ?? ""})`,
        );
    }
  }
  for (const [path, name, kind, container, line, endLine] of rows) {
    const language = languageForPath(path);
    if (!language) continue;
    const categories: Category[] = [];
    if (ourClassKinds.has(kind)) categories.push("classes");
    if (kind === "method" && container) categories.push("methods");
    const outer = container === null || (moduleNames.get(path)?.has(container) ?? false);
    if (outer && ourTopKinds.has(kind) && !(kind === "method" && container)) categories.push("topLevel");
    if (categories.length === 0) continue;
    const found = (tagLines.get(`${path}\u0000${normalize(name)}`) ?? []).some(
      (tagLine) => line <= tagLine && tagLine <= endLine,
    );
    for (const category of categories) {
      const entry = bucket(language)[category];
      entry.ours++;
      if (found) entry.precise++;
      else
        report(
          "extra",
          language,
          category,
          `${path}:${line}-${endLine} ${kind} ${name} (${container ?? ""})`,
        );
    }
  }

  const out: Record<string, Record<Category, CategoryStats>> = {};
  for (const [language, categories] of Object.entries(stats)) {
    const convert = (value: {
      ctags: number;
      ours: number;
      recalled: number;
      precise: number;
    }): CategoryStats => ({
      ctags: value.ctags,
      ours: value.ours,
      recall: value.ctags === 0 ? 1 : value.recalled / value.ctags,
      precision: value.ours === 0 ? 1 : value.precise / value.ours,
    });
    out[language] = {
      topLevel: convert(categories.topLevel),
      classes: convert(categories.classes),
      methods: convert(categories.methods),
    };
  }
  return { stats: out, pseudoClasses, macroFunctions };
}
