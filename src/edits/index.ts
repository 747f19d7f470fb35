/** The edit engine: parse a model's edits, apply them safely in memory, render and write the result. */

export { applyEditsInMemory } from "./apply.js";
export { applyReplyToRepo, type RepoApplyOptions, type RepoApplyReport } from "./apply-to-repo.js";
export { failureReport } from "./failure-report.js";
export { parseEdits } from "./parse.js";
export { BinaryFileError, checkRelativePath, UnsafePathError } from "./path-rules.js";
export { renderFileDiff, renderUnifiedDiff } from "./render-diff.js";
export { readRepoFile, resolveRepoPath } from "./repo-files.js";
export type {
  ApplyOptions,
  ApplyResult,
  DiffHunk,
  EditFormat,
  EditOutcome,
  FileChange,
  HunkLine,
  ParsedEdit,
  ParseOptions,
  ParseProblem,
  ParseResult,
  SearchReplaceEdit,
  UnifiedDiffEdit,
  WholeFileEdit,
} from "./types.js";
export { type WriteFileSystem, writeChangesAtomically } from "./write-changes.js";
