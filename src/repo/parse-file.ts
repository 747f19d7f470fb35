/** Reads, hashes, decodes and parses one source file; shared by the in-process path and the workers. */
import { decodeSource } from "./decode.js";
import { extractSymbols } from "./extract.js";
import type { JunkKind, LanguageId } from "./file-kinds.js";
import { junkByContent, prepareSource, refineLanguage } from "./file-kinds.js";
import { readRepoFile, sha256Hex } from "./safe-read.js";
import type { Extraction } from "./types.js";

export interface ParseJob {
  path: string;
  /** Where to read: inside the repository (the walk resolved symlinks and refused outside ones). */
  absolute: string;
  language: LanguageId;
  /** From the walk; used to hand out work largest first and in batches of similar weight. */
  size?: number;
}

/**
 * How a read went: `ok` (parsed), a junk kind found in the content (`data`, `minified`: listed,
 * not parsed), `undecodable` (binary bytes: listed by path), `failed` (the parser threw) or
 * `unreadable` (could not be read; not cached, tried again next run).
 */
export type ParseStatus = "ok" | "undecodable" | "failed" | "unreadable" | Exclude<JunkKind, "undecodable">;

export type ParseOutcome =
  | { path: string; ok: true; sha256: string; encoding: string; extraction: Extraction }
  | { path: string; ok: false; sha256: string | null; status: Exclude<ParseStatus, "ok"> };

/**
 * A parse outcome as a worker posts it: plain strings, already in the index store's encoding, so
 * the structured clone copies a few strings instead of thousands of small symbol objects.
 * `sha256` null means the file could not be read.
 */
export type WireOutcome = [
  path: string,
  sha256: string | null,
  lines: number,
  symbolsJson: string,
  refs: string,
  status: ParseStatus,
];

export { hashFile, sha256Hex } from "./safe-read.js";

export async function parseFile(job: ParseJob): Promise<ParseOutcome> {
  let bytes: Buffer;
  try {
    bytes = readRepoFile(job.absolute);
  } catch {
    return { path: job.path, ok: false, sha256: null, status: "unreadable" };
  }
  const sha256 = sha256Hex(bytes);
  const decoded = await decodeSource(bytes);
  if (!decoded) return { path: job.path, ok: false, sha256, status: "undecodable" };
  const junk = junkByContent(decoded.text);
  if (junk && junk !== "undecodable") return { path: job.path, ok: false, sha256, status: junk };
  try {
    const language = refineLanguage(job.path, job.language, decoded.text);
    const extraction = await extractSymbols(language, prepareSource(language, decoded.text));
    return { path: job.path, ok: true, sha256, encoding: decoded.encoding, extraction };
  } catch {
    return { path: job.path, ok: false, sha256, status: "failed" };
  }
}
