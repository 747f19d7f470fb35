/** Reads, hashes and parses one source file; shared by the in-process path and the workers. */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { extractSymbols } from "./extract.js";
import type { LanguageId } from "./file-kinds.js";
import { looksBinary, prepareSource, refineLanguage } from "./file-kinds.js";
import type { Extraction } from "./types.js";

export interface ParseJob {
  path: string;
  absolute: string;
  language: LanguageId;
  /** From the walk; used to hand out work largest first and in batches of similar weight. */
  size?: number;
}

export type ParseOutcome =
  | { path: string; ok: true; sha256: string; extraction: Extraction }
  | { path: string; ok: false; reason: "binary" | "unreadable" };

/**
 * A parse outcome as a worker posts it: plain strings, already in the index store's encoding, so
 * the structured clone copies a few strings instead of thousands of small symbol objects.
 * `sha256` null means the file could not be parsed (binary or unreadable).
 */
export type WireOutcome = [
  path: string,
  sha256: string | null,
  lines: number,
  symbolsJson: string,
  refs: string,
];

export function sha256Hex(content: Uint8Array | string): string {
  return createHash("sha256").update(content).digest("hex");
}

export function hashFile(absolute: string): string | null {
  try {
    return sha256Hex(readFileSync(absolute));
  } catch {
    return null;
  }
}

export async function parseFile(job: ParseJob): Promise<ParseOutcome> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(job.absolute);
  } catch {
    return { path: job.path, ok: false, reason: "unreadable" };
  }
  if (looksBinary(bytes.subarray(0, 8192))) return { path: job.path, ok: false, reason: "binary" };
  const sha256 = sha256Hex(bytes);
  const text = bytes.toString("utf8");
  const language = refineLanguage(job.path, job.language, text);
  const extraction = await extractSymbols(language, prepareSource(language, text));
  return { path: job.path, ok: true, sha256, extraction };
}
