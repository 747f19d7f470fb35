/** The shapes of the repository index, shared by the walker, parser, cache, ranking and packer. */
import type { JunkKind, LanguageId } from "./file-kinds.js";

export type SymbolKind =
  | "class"
  | "interface"
  | "struct"
  | "trait"
  | "enum"
  | "type"
  | "module"
  | "function"
  | "method"
  | "macro"
  | "constant"
  | "variable"
  | "field"
  | "property";

export interface RepoSymbol {
  name: string;
  kind: SymbolKind;
  /** Enclosing definitions joined with "." (`Outer.Inner`), or null at top level. */
  container: string | null;
  /** The declaration header on one line, without the body. */
  signature: string;
  /** 1-based, inclusive. */
  line: number;
  endLine: number;
}

export interface IndexedFile {
  /** Repo-relative, forward slashes. */
  path: string;
  size: number;
  mtimeMs: number;
  language: LanguageId | null;
  /**
   * Generated, vendored, minified, lockfile, data or undecodable: listed by path only (no
   * symbols) and ranked below every other file. Absent or null for code and ordinary text.
   */
  junk?: JunkKind | null;
  /** Hex SHA-256 of the content; null for files that were listed but never read. */
  sha256: string | null;
  symbols: RepoSymbol[];
  /**
   * The same symbols as `repo symbols --json` prints them (symbol-codec.ts), when they came from
   * the index: printed as they are, without decoding. Absent on files built by hand.
   */
  readonly symbolsJson?: string;
  /** Identifiers the file mentions that it does not define itself (unique, sorted). */
  references: string[];
  /** Number of lines, for parsed files (0 otherwise). */
  lines: number;
}

export interface Extraction {
  symbols: RepoSymbol[];
  references: string[];
  lines: number;
}

/** Kinds that can contain other definitions and turn functions inside them into methods. */
export const typeLikeKinds: ReadonlySet<string> = new Set([
  "class",
  "interface",
  "struct",
  "trait",
  "enum",
  "scope",
]);

/** One file as packed for a drafter prompt. */
export interface PackBlock {
  file: string;
  text: string;
  whole: boolean;
  /** 1-based inclusive line ranges included verbatim, when not whole. */
  ranges?: Array<[number, number]>;
  /** What was left out, in words. */
  omitted?: string;
}
