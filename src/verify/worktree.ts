/**
 * A throwaway git worktree that mirrors what the user has right now (HEAD plus uncommitted
 * tracked changes plus untracked, non-ignored files), so verification never touches the user's
 * working tree. Worktrees are removed on dispose, on process exit, and on SIGINT/SIGTERM.
 */
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { UsageError } from "../errors.js";
import { killProcessGroup, runningProcessGroups } from "./run-command.js";

/** Ignored dependency folders linked into the worktree so tests can import installed packages. */
const linkedDependencyDirs = ["node_modules", ".venv", "venv", "vendor/bundle"];

function git(cwd: string, args: string[]): string {
  return execFileSync("git", ["-C", cwd, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
}

function nulList(text: string): string[] {
  return text.split("\0").filter(Boolean);
}

const liveWorktrees = new Map<string, string>(); // worktree path → repo root
let handlersInstalled = false;

function removeWorktreeSync(path: string, repoRoot: string): void {
  try {
    git(repoRoot, ["worktree", "remove", "--force", path]);
  } catch {
    // fall through to a manual removal and prune
  }
  rmSync(dirname(path), { recursive: true, force: true });
  try {
    git(repoRoot, ["worktree", "prune"]);
  } catch {
    // repository gone or not a repository any more
  }
  liveWorktrees.delete(path);
}

function cleanupAll(): void {
  for (const pid of runningProcessGroups()) killProcessGroup(pid, "SIGKILL");
  for (const [path, repoRoot] of [...liveWorktrees]) removeWorktreeSync(path, repoRoot);
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupAll();
  process.removeListener("SIGINT", onSignal);
  process.removeListener("SIGTERM", onSignal);
  process.removeListener("exit", cleanupAll);
  handlersInstalled = false;
  // Nobody else handles the signal: behave like the default and exit with it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", cleanupAll);
  // First in line, so the worktree is gone before any graceful-abort handler starts awaiting.
  process.prependListener("SIGINT", onSignal);
  process.prependListener("SIGTERM", onSignal);
}

export interface IsolatedWorktree {
  readonly path: string;
  /** Writes (or deletes, when content is null) a repo-relative file inside the worktree. */
  writeFile(file: string, content: string | null): void;
  readFile(file: string): string | null;
  /** False once removed (dispose, or a signal handler cleaned it up). */
  isAlive(): boolean;
  dispose(): void;
}

export function resolveInside(root: string, file: string): string {
  const target = resolve(root, file);
  if (target !== root && !target.startsWith(root + sep)) {
    throw new UsageError(`refusing to touch a path outside the repository: ${file}`);
  }
  return target;
}

export function createIsolatedWorktree(repoRoot: string): IsolatedWorktree {
  try {
    git(repoRoot, ["rev-parse", "--verify", "HEAD"]);
  } catch {
    throw new UsageError("verification needs a git repository with at least one commit", {
      hint: "run `git init && git add -A && git commit -m init` first, or drop --verify",
    });
  }
  const holder = mkdtempSync(join(tmpdir(), "hierocode-verify-"));
  const path = join(holder, "worktree");
  installHandlers();
  liveWorktrees.set(path, repoRoot);
  try {
    git(repoRoot, ["worktree", "add", "--detach", path, "HEAD"]);
    // uncommitted tracked changes (staged or not), including deletions
    for (const file of nulList(git(repoRoot, ["diff", "--name-only", "-z", "HEAD"]))) {
      const source = join(repoRoot, file);
      const target = resolveInside(path, file);
      if (existsSync(source)) {
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(source, target);
      } else rmSync(target, { force: true });
    }
    for (const file of nulList(git(repoRoot, ["ls-files", "--others", "--exclude-standard", "-z"]))) {
      const target = resolveInside(path, file);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(repoRoot, file), target);
    }
    for (const dir of linkedDependencyDirs) {
      const source = join(repoRoot, dir);
      const target = join(path, dir);
      if (existsSync(source) && !existsSync(target)) {
        mkdirSync(dirname(target), { recursive: true });
        symlinkSync(source, target, "dir");
      }
    }
  } catch (error) {
    removeWorktreeSync(path, repoRoot);
    throw error;
  }

  return {
    path,
    writeFile(file, content) {
      const target = resolveInside(path, file);
      if (content === null) {
        rmSync(target, { force: true });
        return;
      }
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    },
    readFile(file) {
      try {
        return readFileSync(resolveInside(path, file), "utf8");
      } catch {
        return null;
      }
    },
    isAlive() {
      return liveWorktrees.has(path);
    },
    dispose() {
      if (liveWorktrees.has(path)) removeWorktreeSync(path, repoRoot);
    },
  };
}
