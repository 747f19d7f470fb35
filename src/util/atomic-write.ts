/** Atomic file writes: write a temp file beside the target, fsync, then rename over it. */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

export function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): void {
  mkdirSync(dirname(target), { recursive: true });
  let mode = options.mode;
  if (mode === undefined) {
    try {
      mode = statSync(target).mode & 0o7777;
    } catch {
      mode = 0o644;
    }
  }
  const temp = tempPathFor(target);
  const fd = openSync(temp, "w", mode);
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, target);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // the temp file may already be gone
    }
    throw error;
  }
}
