/**
 * A basic repository view for when no richer index is wired in: the file list from
 * `git ls-files` (so .gitignore is honoured; a plain walk outside git), chars/4 token counting,
 * and a skeleton listing paths with sizes, trimmed to the token budget.
 */
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { readRepoFile } from "../edits/index.js";
import type { RepoAccess, RepoSkeleton, TokenCounter } from "./ports.js";

export const charsPerTokenCounter: TokenCounter = {
  name: "chars/4",
  exact: false,
  count: (text) => Math.ceil(text.length / 4),
};

export function listRepoFilesBasic(root: string): string[] {
  const git = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (git.status === 0) {
    return git.stdout
      .split("\0")
      .filter(Boolean)
      .filter((file) => !file.startsWith(".haco/"))
      .sort();
  }
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === ".git" || entry.name === "node_modules" || entry.name === ".haco") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(relative(root, path).split(sep).join("/"));
    }
  };
  walk(root);
  return out.sort();
}

/** `listRepoFilesBasic`'s git listing without blocking; undefined when git cannot list (the walk then runs synchronously). */
function listRepoFilesAsync(root: string): Promise<string[] | undefined> {
  return new Promise((resolvePromise) => {
    execFile(
      "git",
      ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
      { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => {
        if (error) return resolvePromise(undefined);
        resolvePromise(
          stdout
            .split("\0")
            .filter(Boolean)
            .filter((file) => !file.startsWith(".haco/"))
            .sort(),
        );
      },
    );
  });
}

export function basicRepoAccess(root: string): RepoAccess {
  let files: string[] | undefined;
  const listFiles = () => {
    files ??= listRepoFilesBasic(root);
    return files;
  };
  let warming: Promise<void> | undefined;
  const warm = () => {
    warming ??= listRepoFilesAsync(root).then((listed) => {
      if (listed) files ??= listed;
    });
    return warming;
  };
  const readFile = (path: string): string | null => {
    try {
      return readRepoFile(root, path);
    } catch {
      return null;
    }
  };
  return {
    root,
    listFiles,
    readFile,
    warm,
    async buildSkeleton({ tokens, counter }): Promise<RepoSkeleton> {
      const lines: string[] = [];
      const seen: RepoSkeleton["files"] = [];
      let used = 0;
      for (const path of listFiles()) {
        const content = readFile(path);
        if (content === null) continue;
        const line = `${path} (${content.split("\n").length} lines)`;
        const cost = counter.count(line) + 1;
        if (used + cost > tokens) {
          lines.push(`… ${listFiles().length - seen.length} more files not shown`);
          break;
        }
        used += cost;
        lines.push(line);
        seen.push({ path, sha256: createHash("sha256").update(content).digest("hex") });
      }
      const text = lines.join("\n");
      return { text, tokens: counter.count(text), files: seen };
    },
  };
}

export function fileExistsIn(root: string, path: string): boolean {
  try {
    return statSync(join(root, path)).isFile();
  } catch {
    return false;
  }
}
