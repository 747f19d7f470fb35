/**
 * The ignore-aware walk of a repository: every file a planner could care about, with its size
 * and modification time, skipping ignored, vendored, binary, generated and oversized files.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  isBinaryName,
  isGeneratedName,
  type LanguageId,
  languageForPath,
  looksBinary,
  vendoredFolders,
} from "./file-kinds.js";
import {
  type IgnoreStack,
  isIgnored,
  rootIgnoreStack,
  withExtraRules,
  withFolderRules,
} from "./ignore-rules.js";

export const defaultMaxFileBytes = 1024 * 1024;

export interface WalkOptions {
  /** Files larger than this are left out entirely (default 1 MiB). */
  maxFileBytes?: number;
  /** Descend into node_modules, vendor, third_party (benchmarks on vendored code only). */
  includeVendored?: boolean;
  /** Extra gitignore-style patterns, applied from the root (e.g. \`site-packages/\`). */
  exclude?: string[];
}

export interface WalkedFile {
  /** Repo-relative, forward slashes. */
  path: string;
  size: number;
  mtimeMs: number;
  language: LanguageId | null;
}

export interface WalkResult {
  files: WalkedFile[];
  skipped: { ignored: number; vendored: number; binary: number; generated: number; oversized: number };
}

function sniffBinary(absolute: string): boolean {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(absolute, "r");
    const head = new Uint8Array(4096);
    const read = readSync(descriptor, head, 0, head.length, 0);
    return looksBinary(head.subarray(0, read));
  } catch {
    return true;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

export function walkRepo(repoRoot: string, options: WalkOptions = {}): WalkResult {
  const maxFileBytes = options.maxFileBytes ?? defaultMaxFileBytes;
  const files: WalkedFile[] = [];
  const skipped = { ignored: 0, vendored: 0, binary: 0, generated: 0, oversized: 0 };

  const visit = (relativeDir: string, inherited: IgnoreStack) => {
    const stack = relativeDir === "" ? inherited : withFolderRules(inherited, repoRoot, relativeDir);
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(relativeDir === "" ? repoRoot : join(repoRoot, relativeDir), {
        withFileTypes: true,
      });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const relative = relativeDir === "" ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) {
        // hierocode's own run logs (.haco/logs) are never part of what the planner sees.
        if (entry.name === ".git" || entry.name === ".haco") continue;
        if (vendoredFolders.has(entry.name) && !options.includeVendored) {
          skipped.vendored++;
          continue;
        }
        if (isIgnored(stack, `${relative}/`)) {
          skipped.ignored++;
          continue;
        }
        visit(relative, stack);
        continue;
      }
      // Symlinked folders are not followed (loops); symlinked files are listed by their target's stats.
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      if (isIgnored(stack, relative)) {
        skipped.ignored++;
        continue;
      }
      if (isBinaryName(relative)) {
        skipped.binary++;
        continue;
      }
      if (isGeneratedName(relative)) {
        skipped.generated++;
        continue;
      }
      const absolute = join(repoRoot, relative);
      let stats: import("node:fs").Stats;
      try {
        stats = statSync(absolute);
      } catch {
        continue;
      }
      if (!stats.isFile()) continue;
      if (stats.size > maxFileBytes) {
        skipped.oversized++;
        continue;
      }
      const language = languageForPath(relative);
      // Source files are checked for NUL bytes when read for parsing; others are sniffed here.
      if (language === null && stats.size > 0 && sniffBinary(absolute)) {
        skipped.binary++;
        continue;
      }
      files.push({ path: relative, size: stats.size, mtimeMs: stats.mtimeMs, language });
    }
  };

  visit("", withExtraRules(rootIgnoreStack(repoRoot), options.exclude ?? []));
  return { files, skipped };
}
