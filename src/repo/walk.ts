/**
 * The ignore-aware walk of a repository: every file a planner could care about, with its size,
 * modification time and identity (inode, ctime), skipping ignored, vendored-folder, binary and
 * oversized files, and marking junk (generated, minified, lockfiles, data, `.gitattributes`
 * linguist overrides) to be listed last.
 *
 * It reads only the repository: `.git` (folder, file or link) and `.haco` are never entered,
 * symlinked folders are never followed, and a symlinked file is listed only when its real path is
 * inside the repository's real path (a link to `../../secrets` or `/etc/passwd` is skipped and
 * counted as `outside`); such a file is then read through its resolved path.
 */
import { closeSync, lstatSync, openSync, readdirSync, readSync, realpathSync } from "node:fs";
import { join, sep } from "node:path";
import { type AttributeStack, linguistKind, withFolderAttributes } from "./attributes.js";
import { looksBinaryHead } from "./decode.js";
import {
  isBinaryName,
  type JunkKind,
  junkByContent,
  junkByName,
  type LanguageId,
  languageForName,
  vendoredFolders,
} from "./file-kinds.js";
import {
  type IgnoreStack,
  isIgnored,
  rootIgnoreStack,
  withExtraRules,
  withFolderRules,
} from "./ignore-rules.js";
import { readFlags } from "./safe-read.js";

export const defaultMaxFileBytes = 1024 * 1024;

export interface WalkOptions {
  /** Files larger than this are left out entirely (default 1 MiB). */
  maxFileBytes?: number;
  /** Descend into node_modules, vendor, third_party (benchmarks on vendored code only). */
  includeVendored?: boolean;
  /** Extra gitignore-style patterns, applied from the root (e.g. \`site-packages/\`). */
  exclude?: string[];
  /**
   * List only files with a source language (`repo symbols`): other files are neither matched
   * against ignore rules, stat'ed, sniffed nor counted in `skipped`. Same verdicts for the files
   * listed.
   */
  sourceOnly?: boolean;
}

export interface WalkedFile {
  /** Repo-relative, forward slashes. */
  path: string;
  /** Where to read it: the joined path, or a symlink's resolved target (inside the repository). */
  absolute: string;
  size: number;
  mtimeMs: number;
  /** Change time: moves on every write, and `utimes` cannot set it back. */
  ctimeMs: number;
  /** Inode number (a file replaced by rename gets a new one). */
  ino: number;
  language: LanguageId | null;
  /** Listed by path and ranked below code; null for code and ordinary text. */
  junk: JunkKind | null;
}

export interface WalkResult {
  files: WalkedFile[];
  /** `generated` counts junk files: listed, but never parsed and ranked last. */
  skipped: {
    ignored: number;
    vendored: number;
    binary: number;
    generated: number;
    oversized: number;
    /** Symlinks whose target is outside the repository (or dangling, or a folder). */
    outside: number;
  };
}

/** The first 4 KiB of a non-source file: binary, junk (base64, minified), or plain text (null). */
function sniffHead(absolute: string): "binary" | JunkKind | null {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(absolute, readFlags);
    const head = new Uint8Array(4096);
    const read = readSync(descriptor, head, 0, head.length, 0);
    const bytes = head.subarray(0, read);
    if (looksBinaryHead(bytes)) return "binary";
    return junkByContent(Buffer.from(bytes).toString("latin1"));
  } catch {
    return "binary";
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

export function walkRepo(repoRoot: string, options: WalkOptions = {}): WalkResult {
  const maxFileBytes = options.maxFileBytes ?? defaultMaxFileBytes;
  const files: WalkedFile[] = [];
  const skipped = { ignored: 0, vendored: 0, binary: 0, generated: 0, oversized: 0, outside: 0 };
  const realRoot = realOrNull(repoRoot) ?? repoRoot;
  const inside = (real: string) =>
    real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`);
  // Where "/"-separated relative paths can simply be appended (path.join is costly per file).
  const rootPrefix = sep === "/" ? (repoRoot.endsWith("/") ? repoRoot : `${repoRoot}/`) : null;
  const absoluteOf = (relative: string) =>
    rootPrefix === null ? join(repoRoot, relative) : rootPrefix + relative;

  const visit = (relativeDir: string, inherited: IgnoreStack, inheritedAttributes: AttributeStack) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(relativeDir === "" ? repoRoot : absoluteOf(relativeDir), {
        withFileTypes: true,
      });
    } catch {
      return;
    }
    // Rule files are read only where the listing shows them (a failed open per folder is costly).
    // Names in code-unit order: the default sort, without a comparator called per pair.
    const byName = new Map<string, import("node:fs").Dirent>();
    for (const entry of entries) byName.set(entry.name, entry);
    const names = [...byName.keys()].sort();
    const stack =
      relativeDir === "" || !(byName.has(".gitignore") || byName.has(".ignore"))
        ? inherited
        : withFolderRules(inherited, repoRoot, relativeDir);
    const attributes = byName.has(".gitattributes")
      ? withFolderAttributes(inheritedAttributes, repoRoot, relativeDir)
      : inheritedAttributes;
    for (const name of names) {
      const entry = byName.get(name)!;
      const relative = relativeDir === "" ? entry.name : `${relativeDir}/${entry.name}`;
      // Git's own data (a folder, or a worktree's `.git` file) and hierocode's run logs (.haco)
      // are never part of what the planner sees, whatever their type.
      if (entry.name === ".git" || entry.name === ".haco") continue;
      if (entry.isDirectory()) {
        if (vendoredFolders.has(entry.name) && !options.includeVendored) {
          skipped.vendored++;
          continue;
        }
        if (isIgnored(stack, `${relative}/`)) {
          skipped.ignored++;
          continue;
        }
        visit(relative, stack, attributes);
        continue;
      }
      // Symlinked folders are not followed (loops, and they may lead out of the repository).
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      const language = languageForName(entry.name);
      if (language === null && options.sourceOnly) continue;
      if (isIgnored(stack, relative)) {
        skipped.ignored++;
        continue;
      }
      // A source extension is never a binary one.
      if (language === null && isBinaryName(entry.name)) {
        skipped.binary++;
        continue;
      }
      let absolute = absoluteOf(relative);
      let stats: import("node:fs").Stats;
      try {
        if (entry.isSymbolicLink()) {
          const real = realOrNull(absolute);
          if (real === null || !inside(real)) {
            skipped.outside++;
            continue;
          }
          absolute = real;
        }
        stats = lstatSync(absolute);
      } catch {
        continue;
      }
      if (!stats.isFile()) {
        if (entry.isSymbolicLink()) skipped.outside++;
        continue;
      }
      if (stats.size > maxFileBytes) {
        skipped.oversized++;
        continue;
      }
      let junk: JunkKind | null =
        junkByName(entry.name) ?? (attributes.length === 0 ? null : linguistKind(attributes, relative));
      // Source files are checked for NUL bytes and junk content when read for parsing.
      if (language === null && junk === null && stats.size > 0) {
        const sniffed = sniffHead(absolute);
        if (sniffed === "binary") {
          skipped.binary++;
          continue;
        }
        junk = sniffed;
      }
      if (junk !== null) skipped.generated++;
      files.push({
        path: relative,
        absolute,
        size: stats.size,
        mtimeMs: stats.mtimeMs,
        ctimeMs: stats.ctimeMs,
        ino: stats.ino,
        language,
        junk,
      });
    }
  };

  visit("", withExtraRules(rootIgnoreStack(repoRoot), options.exclude ?? []), []);
  return { files, skipped };
}
