/** Reading repository files without following a final symlink (shared by the walk and the parser). */
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
