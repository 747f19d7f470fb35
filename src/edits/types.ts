/** The shapes shared by the edit parser, the applier and their callers (pipeline, CLI). */

export type EditFormat = "whole-file" | "search-replace" | "unified-diff";

interface EditBase {
  /** Position of the edit in the reply (0-based, in reading order); reports refer to it as block index + 1. */
  index: number;
  /** Repository-relative path with forward slashes, as the reply named it (after a/ b/ prefix removal). */
  file: string;
  /** Set when every line of the edit came with CRLF: the ending a created (or empty) file gets. */
  lineEnding?: "\r\n";
}

export interface WholeFileEdit extends EditBase {
  format: "whole-file";
  /** The complete new content, lines joined with "\n". */
  content: string;
}

export interface SearchReplaceEdit extends EditBase {
  format: "search-replace";
  /** Lines to find (without line terminators). Empty means "create the file". */
  search: string[];
  replace: string[];
}

export interface HunkLine {
  kind: " " | "-" | "+";
  text: string;
}

export interface DiffHunk {
  /** 1-based line numbers from the `@@` header, when the reply gave any; they are hints only. */
  oldStart?: number;
  oldCount?: number;
  newStart?: number;
  newCount?: number;
  lines: HunkLine[];
  /** `\ No newline at end of file` followed the last old-side / new-side line. */
  oldNoNewline?: boolean;
  newNoNewline?: boolean;
}

export interface UnifiedDiffEdit extends EditBase {
  format: "unified-diff";
  hunks: DiffHunk[];
  isNew: boolean;
  isDelete: boolean;
}

export type ParsedEdit = WholeFileEdit | SearchReplaceEdit | UnifiedDiffEdit;

export interface ParseProblem {
  /** Index the problem would have had as an edit (blocks are numbered in reading order). */
  index: number;
  reason: string;
  excerpt: string;
}

export interface ParseOptions {
  /** File to use for edits that name none (e.g. the one file a unit may touch). */
  defaultFile?: string;
  /** Files that exist in the repository; used to recognise filename lines such as `Makefile`. */
  knownFiles?: string[];
}

export interface ParseResult {
  edits: ParsedEdit[];
  problems: ParseProblem[];
}

/** `null` stands for an absent file (created or deleted by the change). */
export interface FileChange {
  file: string;
  before: string | null;
  after: string | null;
}

export interface EditOutcome {
  index: number;
  file: string;
  format: EditFormat;
  status: "applied" | "failed";
  /** Which rung of the matching ladder located the edit (e.g. "exact", "indentation"). */
  strategy?: string;
  reason?: string;
  /** The nearest actual lines of the file, for a failed edit. */
  didYouMean?: string;
  /** 1-based line where `didYouMean` starts. */
  didYouMeanLine?: number;
  /**
   * "repeated": the reply gave this exact block before (block `repeats`); it was applied once.
   * "already-applied": the file already has this edit's change; nothing was written for it.
   */
  note?: "repeated" | "already-applied";
  /** For a repeated block: the 1-based number of the block it repeats. */
  repeats?: number;
}

export interface ApplyResult {
  ok: boolean;
  outcomes: EditOutcome[];
  changes: FileChange[];
}

export interface ApplyOptions {
  /** Keep the edits that applied even when others failed. */
  partial?: boolean;
}
