/** Path rules that need no disk access: what an edit may name at all. */
import { ExitCode, HierocodeError } from "../errors.js";

export class UnsafePathError extends HierocodeError {
  constructor(message: string, path: string) {
    super("unsafe_path", message, ExitCode.editsFailed, {
      hint: "edits may only touch files inside the repository, outside .git/",
      details: { path },
    });
  }
}

export class BinaryFileError extends HierocodeError {
  constructor(path: string) {
    super(
      "binary_file",
      `${path} is a binary (or non-UTF-8) file; text edits cannot be applied to it`,
      ExitCode.editsFailed,
      {
        details: { path },
      },
    );
  }
}

/** Throws UnsafePathError for absolute paths, `..`, `.git/` and other names that may not be edited. */
export function checkRelativePath(path: string): void {
  if (path.length === 0) throw new UnsafePathError("empty path", path);
  if (path.includes("\0"))
    throw new UnsafePathError(`path contains a NUL byte: ${JSON.stringify(path)}`, path);
  if (path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:/.test(path) || path.startsWith("~")) {
    throw new UnsafePathError(`absolute path refused: ${path}`, path);
  }
  const segments = path.split(/[\\/]/);
  if (segments.some((segment) => segment === ".."))
    throw new UnsafePathError(`path leaves the repository: ${path}`, path);
  if (segments.some((segment) => segment.toLowerCase() === ".git"))
    throw new UnsafePathError(`path inside .git refused: ${path}`, path);
  if (segments.some((segment) => segment === "" || segment === ".") && segments.length > 1) {
    throw new UnsafePathError(`malformed path: ${path}`, path);
  }
}
