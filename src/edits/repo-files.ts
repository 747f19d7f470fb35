/**
 * The only part of the edit engine that touches the disk: resolving paths safely inside the
 * repository, reading text files, and writing a whole change set atomically.
 */
import { existsSync, lstatSync, readFileSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import {
  BinaryFileError,
  checkRelativePath,
  checkWritablePath,
  protectedUserConfig,
  UnsafePathError,
} from "./path-rules.js";

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** The real, absolute path of a repository file; throws UnsafePathError when it would leave the repo. */
export function resolveRepoPath(repoRoot: string, file: string): string {
  checkRelativePath(file);
  const root = realpathSync(repoRoot);
  const target = join(root, ...file.split(/[\\/]/));
  // Resolve symlinks on the deepest part that exists; the rest is created inside it.
  let existing = target;
  const missing: string[] = [];
  while (!existsSync(existing) && !isSymlink(existing)) {
    missing.unshift(existing.slice(dirname(existing).length + 1));
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    throw new UnsafePathError(`${file} goes through a broken symlink`, file);
  }
  const resolved = join(real, ...missing);
  if (!isInside(root, resolved))
    throw new UnsafePathError(`${file} resolves outside the repository (symlink)`, file);
  const inside = relative(root, resolved).split(sep);
  if (inside.some((segment) => segment.toLowerCase() === ".git"))
    throw new UnsafePathError(`${file} resolves into .git`, file);
  return resolved;
}

/**
 * resolveRepoPath for a file an edit will write: also refuses hierocode's control files,
 * `policy.protected_paths` and the user config file, both as named and as reached through symlinks.
 */
export function resolveWritablePath(repoRoot: string, file: string): string {
  checkWritablePath(file);
  const resolved = resolveRepoPath(repoRoot, file);
  const inside = relative(realpathSync(repoRoot), resolved).split(sep).join("/");
  if (inside !== file) checkWritablePath(inside);
  const userConfig = protectedUserConfig();
  if (userConfig !== undefined) {
    let realUserConfig = userConfig;
    try {
      realUserConfig = realpathSync(userConfig);
    } catch {
      // not there (yet): compare the plain path
    }
    if (resolved === realUserConfig)
      throw new UnsafePathError(
        `protected path refused: ${file} is your hierocode config (${userConfig}); a model's edit may not write it`,
        file,
        "hierocode's control files are never written by a model's edit; change them yourself",
      );
  }
  return resolved;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Reads a text file of the repository; null when it does not exist. Refuses binary and non-UTF-8 files. */
export function readRepoFile(repoRoot: string, file: string): string | null {
  const path = resolveRepoPath(repoRoot, file);
  if (!existsSync(path)) return null;
  const stats = lstatSync(path);
  if (!stats.isFile()) throw new UnsafePathError(`${file} is not a regular file`, file);
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 8000).includes(0)) throw new BinaryFileError(file);
  try {
    return decoder.decode(bytes);
  } catch {
    throw new BinaryFileError(file);
  }
}
