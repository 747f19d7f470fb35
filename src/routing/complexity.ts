/**
 * Complexity scoring (0–10) of a task or a plan unit: the hierarchical-orchestrator seed's
 * heuristic as the base (length; refactor/architect/migrate words; several files; tests required)
 * plus repository signals (target size in tokens, context files, new file vs edit, language, tests
 * present). Deterministic: the same input always gives the same score, and every point is
 * explained by one entry of `features`.
 * Source of the base: /work/shared/seeds (hierarchical-orchestrator, "Complexity Scoring").
 */

export interface ComplexityFeature {
  /** Stable feature name (`length`, `refactor_words`, `multi_file`, `tests_required`, …). */
  name: string;
  /** The observed value (word count, tokens, file count, language, true/false). */
  value: number | string | boolean;
  /** Points this feature adds to the score (may be negative). */
  points: number;
  /** One line a user can read. */
  why: string;
}

export interface ComplexityScore {
  /** 0 (trivial) … 10 (architectural), one decimal. */
  score: number;
  /** The routing band the score falls in (seed table: 0–2, 2–4, 4–7, 7+). */
  band: ComplexityBand;
  features: ComplexityFeature[];
}

export type ComplexityBand = "trivial" | "simple" | "complex" | "architectural";
export const complexityBands: readonly ComplexityBand[] = ["trivial", "simple", "complex", "architectural"];

/** Seed table bands: [0, 2) trivial, [2, 4) simple, [4, 7) complex, [7, 10] architectural. */
export function bandOf(score: number): ComplexityBand {
  if (score < 2) return "trivial";
  if (score < 4) return "simple";
  if (score < 7) return "complex";
  return "architectural";
}

/** What a unit does, for the learning cells (band × kind). */
export type UnitKind = "new_file" | "edit" | "test" | "refactor";
export const unitKinds: readonly UnitKind[] = ["new_file", "edit", "test", "refactor"];

/** Repository facts about the files a task or unit touches (all optional). */
export interface RepoSignals {
  /** Tokens of the largest existing target file. */
  targetTokens?: number;
  /** Number of target files (edited or created). */
  targetFiles?: number;
  /** Number of read-only context files. */
  contextFiles?: number;
  /** True when every target is a new file. */
  newFilesOnly?: boolean;
  /** Language of the main target (from its extension): "python", "typescript", "rust", … */
  language?: string;
  /** The repository has tests (a test folder or *_test / *.test.* files). */
  testsPresent?: boolean;
}

const refactorWords = /\b(refactor\w*|architect\w*|migrat\w*|redesign\w*|rewrite|rewriting)\b/i;
const testWords = /\b(tests?|testing|unit[- ]tests?|spec|coverage)\b/i;

/** Languages where a small model's drafts fail more often (strict compilers, ownership, macros). */
const hardLanguages = new Set(["rust", "cpp", "c", "scala", "haskell"]);
const easyLanguages = new Set(["markdown", "json", "yaml", "toml", "text", "css", "html"]);

const round1 = (value: number) => Math.round(value * 10) / 10;

/**
 * Scores a task or unit description with optional repository signals.
 * Base (seed): min(3, words / 50); +2 for refactor/architect/migrate words; +1.5 when more than
 * one file is touched; +2 when tests are required. Repository signals: +min(2, targetTokens /
 * 4000) for a large target; +min(1, 0.25 × context files); −0.5 when only new files are
 * written (nothing existing can be broken); +1 for rust/c/c++/scala/haskell, −0.5 for
 * data/markup files; +0.5 when the repository has tests (the draft must keep them green).
 * The sum is clamped to [0, 10] and rounded to one decimal.
 */
export function scoreComplexity(text: string, signals: RepoSignals = {}): ComplexityScore {
  const features: ComplexityFeature[] = [];
  const words = text.split(/\s+/).filter(Boolean).length;
  const lengthPoints = round1(Math.min(3, words / 50));
  features.push({
    name: "length",
    value: words,
    points: lengthPoints,
    why: `${words} words (min(3, words/50))`,
  });
  const refactor = refactorWords.exec(text);
  if (refactor)
    features.push({
      name: "refactor_words",
      value: refactor[0].toLowerCase(),
      points: 2,
      why: `mentions '${refactor[0].toLowerCase()}'`,
    });
  const files = signals.targetFiles ?? 0;
  if (files > 1)
    features.push({ name: "multi_file", value: files, points: 1.5, why: `${files} target files` });
  if (testWords.test(text))
    features.push({ name: "tests_required", value: true, points: 2, why: "the text asks for tests" });
  if (signals.targetTokens !== undefined) {
    const points = round1(Math.min(2, signals.targetTokens / 4000));
    features.push({
      name: "target_size",
      value: signals.targetTokens,
      points,
      why: `largest target is ${signals.targetTokens} tokens (min(2, tokens/4000))`,
    });
  }
  if (signals.contextFiles !== undefined && signals.contextFiles > 0) {
    features.push({
      name: "context_files",
      value: signals.contextFiles,
      points: round1(Math.min(1, 0.25 * signals.contextFiles)),
      why: `${signals.contextFiles} context file(s) to read (0.25 each, at most 1)`,
    });
  }
  if (signals.newFilesOnly)
    features.push({
      name: "new_file",
      value: true,
      points: -0.5,
      why: "only new files: nothing existing can break",
    });
  if (signals.language) {
    const language = signals.language.toLowerCase();
    const points = hardLanguages.has(language) ? 1 : easyLanguages.has(language) ? -0.5 : 0;
    features.push({
      name: "language",
      value: language,
      points,
      why: points > 0 ? `${language}: strict compiler` : points < 0 ? `${language}: data/markup` : language,
    });
  }
  if (signals.testsPresent)
    features.push({
      name: "tests_present",
      value: true,
      points: 0.5,
      why: "the repository has tests the change must keep passing",
    });
  const sum = features.reduce((total, feature) => total + feature.points, 0);
  const score = round1(Math.min(10, Math.max(0, sum)));
  return { score, band: bandOf(score), features };
}

/**
 * The learning cell's unit kind: `test` when every target is a test file or the goal is about
 * tests only, `refactor` for refactor words, `new_file` when every target is new, else `edit`.
 */
export function unitKindOf(unit: { goal: string; target_files: string[]; new_files: string[] }): UnitKind {
  const testFile = (path: string) =>
    /(^|\/)(tests?|__tests__|spec)\/|[._-](test|spec)\.[^/]+$|(^|\/)test_[^/]+$/i.test(path);
  if (unit.target_files.length > 0 && unit.target_files.every(testFile)) return "test";
  if (refactorWords.test(unit.goal)) return "refactor";
  if (unit.target_files.length > 0 && unit.target_files.every((file) => unit.new_files.includes(file)))
    return "new_file";
  return "edit";
}

const extensionLanguages: Record<string, string> = {
  py: "python",
  ts: "typescript",
  tsx: "typescript",
  js: "javascript",
  jsx: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  go: "go",
  rs: "rust",
  java: "java",
  kt: "kotlin",
  rb: "ruby",
  c: "c",
  h: "c",
  cc: "cpp",
  cpp: "cpp",
  hpp: "cpp",
  scala: "scala",
  hs: "haskell",
  md: "markdown",
  json: "json",
  yaml: "yaml",
  yml: "yaml",
  toml: "toml",
  txt: "text",
  css: "css",
  html: "html",
};

/** Language of a path from its extension, undefined when unknown. */
export function languageOf(path: string): string | undefined {
  const match = /\.([A-Za-z0-9]+)$/.exec(path);
  return match ? extensionLanguages[(match[1] ?? "").toLowerCase()] : undefined;
}
