/**
 * Bytes of a source file to text, whatever its encoding: a byte-order mark decides first (UTF-8,
 * UTF-16 LE/BE), then UTF-16 without a mark (every other byte NUL, as Windows tools write it),
 * then strict UTF-8, then the single- or multi-byte encoding the `chardet` library (a port of
 * ICU's detector) finds likeliest, with windows-1252 (a superset of latin-1 that decodes any byte)
 * as the last resort. Decoding itself is the WHATWG `TextDecoder` built into Node (ICU).
 *
 * A file with NUL bytes that is not UTF-16 is binary: `null`, listed by path but never parsed.
 */
import { isUtf8 } from "node:buffer";

export interface Decoded {
  text: string;
  /** WHATWG encoding name: "utf-8", "utf-16le", "windows-1252", "shift_jis"… */
  encoding: string;
}

/** Bytes looked at to decide binary vs UTF-16 (the whole file when smaller). */
const sniffBytes = 8192;

function decodeWith(encoding: string, bytes: Uint8Array): Decoded | null {
  try {
    // The decoder drops a leading byte-order mark itself.
    return { text: new TextDecoder(encoding, { fatal: true }).decode(bytes), encoding };
  } catch {
    return null;
  }
}

/**
 * UTF-16 without a byte-order mark: in mostly-ASCII text every second byte is NUL. Returns the
 * byte order when at least 90% of the sampled code units look like that, else null.
 */
function bomlessUtf16(bytes: Uint8Array): "utf-16le" | "utf-16be" | null {
  const length = Math.min(bytes.length, sniffBytes) & ~1;
  if (length < 4) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let index = 0; index < length; index += 2) {
    if (bytes[index] === 0) evenZero++;
    if (bytes[index + 1] === 0) oddZero++;
  }
  const units = length / 2;
  if (oddZero >= 0.9 * units && evenZero <= 0.1 * units) return "utf-16le";
  if (evenZero >= 0.9 * units && oddZero <= 0.1 * units) return "utf-16be";
  return null;
}

let chardet: typeof import("chardet") | null = null;

/** Encodings chardet may name that a TextDecoder can decode, best first. */
async function detectedEncodings(bytes: Uint8Array): Promise<string[]> {
  chardet ??= await import("chardet");
  const out: string[] = [];
  for (const match of chardet.analyse(bytes.subarray(0, 65536))) {
    const name = match.name.toLowerCase();
    // Strict UTF-8 already failed; UTF-16/32 guesses without a mark or NUL pattern are noise.
    if (name === "utf-8" || name === "ascii" || name.startsWith("utf-16") || name.startsWith("utf-32"))
      continue;
    try {
      new TextDecoder(name);
    } catch {
      continue;
    }
    out.push(name);
  }
  return out;
}

/**
 * Decodes a file's bytes; `null` for binary content (NUL bytes that are not UTF-16). Never throws.
 * Sources: Unicode BOMs (Unicode Standard §23.8), the WHATWG Encoding Standard (labels,
 * windows-1252 for "latin1"), chardet's confidence-ordered candidates.
 */
export async function decodeSource(bytes: Uint8Array): Promise<Decoded | null> {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return decodeWith("utf-8", bytes) ?? decodeWith("windows-1252", bytes.subarray(3));
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decodeWith("utf-16le", bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decodeWith("utf-16be", bytes);
  const head = bytes.subarray(0, sniffBytes);
  if (head.includes(0)) {
    const utf16 = bomlessUtf16(bytes);
    return utf16 ? decodeWith(utf16, bytes) : null;
  }
  if (isUtf8(bytes))
    return {
      text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8"),
      encoding: "utf-8",
    };
  for (const encoding of await detectedEncodings(bytes)) {
    const decoded = decodeWith(encoding, bytes);
    if (decoded) return decoded;
  }
  // windows-1252 maps every byte to a character (WHATWG), so this always succeeds.
  return decodeWith("windows-1252", bytes);
}

/** Whether a head of bytes is binary for listing purposes (NUL bytes, not UTF-16 text). */
export function looksBinaryHead(head: Uint8Array): boolean {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return false;
  if (!head.includes(0)) return false;
  return bomlessUtf16(head) === null;
}
