/** Reading repository files without following a final symlink (shared by the walk and the parser). */
import { createHash } from "node:crypto";
import { constants, readFileSync } from "node:fs";

/**
 * `O_RDONLY | O_NOFOLLOW`: the walk resolves symlinks itself and refuses those leading outside
 * the repository; opening what it chose with `O_NOFOLLOW` means a file swapped for a link after
 * the walk fails to open (ELOOP) instead of being followed. (open(2); O_NOFOLLOW is 0 where the
 * platform lacks it.)
 */
export const readFlags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/** The bytes of a file the walk listed; throws like `readFileSync` (ELOOP for a swapped-in link). */
export function readRepoFile(absolute: string): Buffer {
  return readFileSync(absolute, { flag: readFlags });
}

export function sha256Hex(content: Uint8Array | string): string {
  return createHash("sha256").update(content).digest("hex");
}

/** Hex SHA-256 of a file's bytes, or null when it cannot be read. */
export function hashFile(absolute: string): string | null {
  try {
    return sha256Hex(readRepoFile(absolute));
  } catch {
    return null;
  }
}
