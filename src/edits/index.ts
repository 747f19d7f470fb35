/** The edit engine: parse a model's edits, apply them safely in memory, render and write the result. */
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
export { parseEdits } from "./parse.js";
export { applyEditsInMemory } from "./apply.js";
export { renderUnifiedDiff, renderFileDiff } from "./render-diff.js";
export { failureReport } from "./failure-report.js";
export { resolveRepoPath, readRepoFile } from "./repo-files.js";
export { writeChangesAtomically, type WriteFileSystem } from "./write-changes.js";
export { BinaryFileError, UnsafePathError, checkRelativePath } from "./path-rules.js";
export { applyReplyToRepo, type RepoApplyOptions, type RepoApplyReport } from "./apply-to-repo.js";
