/**
 * A throwaway copy of the repository that mirrors what the user has right now (HEAD plus
 * uncommitted tracked changes plus untracked, non-ignored files), so verification never touches
 * the user's working tree, git config, refs or tags:
 * - a temporary clone (`git clone --shared`: own config, refs, tags and index; objects are read
 *   through alternates, never written there), its `origin` removed so a push cannot reach back;
 * - dependency folders (node_modules, .venv, …) are copied (copy-on-write where the file system
 *   supports it), never symlinked to the user's;
 * - the test command gets its own global git config (`GIT_CONFIG_GLOBAL`, a copy of the user's)
 *   and no inherited `GIT_DIR`-style variables;
 * - file names are handled as bytes, so non-UTF-8 names are copied exactly.
 * The sandbox is removed on dispose, on process exit, and on SIGINT/SIGTERM; one left by a killed
 * process (owner.json names its pid) is removed by the next hierocode command, together with its
 * leftover test processes (found by their `HIEROCODE_VERIFY_ID` marker) and any `git worktree`
 * entry an older version left in the user's repository.
 */
import { execFileSync } from "node:child_process";
import {
  constants,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, join, resolve, sep } from "node:path";
import { UsageError } from "../errors.js";
import { noCommitHint } from "../util/repo-root.js";
import { killMarkedProcesses, killProcessGroup, runningProcessGroups } from "./run-command.js";

/** Ignored dependency folders copied into the sandbox so tests can import installed packages. */
const copiedDependencyDirs = ["node_modules", ".venv", "venv", "vendor/bundle"];

/** Environment variables that would point git somewhere else than the sandbox. */
const gitRedirectVariables = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR",
  "GIT_NAMESPACE",
  "GIT_CEILING_DIRECTORIES",
];

const holderPrefix = "hierocode-verify-";

function cleanGitEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of gitRedirectVariables) delete env[name];
  return env;
}

function git(cwd: string, args: string[]): string {
  return execFileSync("git", ["-C", cwd, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
    env: cleanGitEnv(),
  });
}

function gitBytes(cwd: string, args: string[]): Buffer {
  return execFileSync("git", ["-C", cwd, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 256 * 1024 * 1024,
    env: cleanGitEnv(),
  });
}

/** Splits git's `-z` output into raw byte names (non-UTF-8 names stay exact). */
function nulNames(bytes: Buffer): Buffer[] {
  const names: Buffer[] = [];
  let start = 0;
  for (let index = 0; index < bytes.length; index++) {
    if (bytes[index] !== 0) continue;
    if (index > start) names.push(bytes.subarray(start, index));
    start = index + 1;
  }
  if (start < bytes.length) names.push(bytes.subarray(start));
  return names;
}

/** `root/name` as a byte path (fs accepts Buffer paths). */
function bytePath(root: string, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(root.endsWith(sep) ? root : root + sep), name]);
}

function parentOf(path: Buffer): Buffer {
  const slash = path.lastIndexOf(0x2f);
  return slash <= 0 ? Buffer.from("/") : path.subarray(0, slash);
}

function checkInside(name: Buffer): void {
  const text = name.toString("latin1");
  if (text.startsWith("/") || text.split("/").some((part) => part === ".." || part === ".git"))
    throw new UsageError(`refusing to copy a path outside the repository: ${JSON.stringify(text)}`);
}

const liveWorktrees = new Map<string, string>(); // sandbox path → repo root
let handlersInstalled = false;

function removeWorktreeSync(path: string, _repoRoot: string): void {
  const holder = dirname(path);
  killMarkedProcesses(basename(holder), "SIGKILL");
  rmSync(holder, { recursive: true, force: true });
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
  // First in line, so the sandbox is gone before any graceful-abort handler starts awaiting.
  process.prependListener("SIGINT", onSignal);
  process.prependListener("SIGTERM", onSignal);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** What the next command cleaned up after a killed verification. */
export interface StaleSandboxCleanup {
  sandboxes: number;
  processes: number;
  worktreeEntries: number;
}

/**
 * Removes verify sandboxes whose owning process is gone (killed mid-verify): kills their
 * leftover test processes (by marker), deletes the folder, and — for `repoRoot` — removes
 * `git worktree` entries that point into such a sandbox (left by older versions). Cheap when
 * there is nothing to clean: one readdir of the temp folder.
 */
export function cleanStaleSandboxes(repoRoot?: string): StaleSandboxCleanup {
  const result: StaleSandboxCleanup = { sandboxes: 0, processes: 0, worktreeEntries: 0 };
  let names: string[] = [];
  try {
    names = readdirSync(tmpdir()).filter((name) => name.startsWith(holderPrefix));
  } catch {
    names = [];
  }
  for (const name of names) {
    const holder = join(tmpdir(), name);
    let owner: { pid?: number } | undefined;
    try {
      owner = JSON.parse(readFileSync(join(holder, "owner.json"), "utf8")) as { pid?: number };
    } catch {
      owner = undefined; // an older version's worktree, or not ours
    }
    if (owner?.pid !== undefined ? processAlive(owner.pid) : !isOldWorktreeHolder(holder)) continue;
    result.processes += killMarkedProcesses(name, "SIGKILL");
    rmSync(holder, { recursive: true, force: true });
    result.sandboxes += 1;
  }
  if (repoRoot) result.worktreeEntries = pruneStaleWorktreeEntries(repoRoot);
  return result;
}

/** An older version's holder: only a `worktree` folder whose .git file points into a repository. */
function isOldWorktreeHolder(holder: string): boolean {
  try {
    const gitFile = join(holder, "worktree", ".git");
    if (!lstatSync(gitFile).isFile()) return false;
    // still registered and used? An older process may run; leave holders younger than an hour.
    return Date.now() - lstatSync(holder).mtimeMs > 60 * 60 * 1000;
  } catch {
    return false;
  }
}

/** Removes `git worktree` entries of `repoRoot` that point into a (gone) verify sandbox. */
function pruneStaleWorktreeEntries(repoRoot: string): number {
  const folder = join(repoRoot, ".git", "worktrees");
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    try {
      const gitdir = readFileSync(join(folder, entry, "gitdir"), "utf8").trim();
      if (!gitdir.includes(`${sep}${holderPrefix}`)) continue;
      const holder = dirname(dirname(gitdir));
      if (existsSync(join(holder, "owner.json")) || (existsSync(holder) && !isOldWorktreeHolder(holder)))
        continue;
      rmSync(holder, { recursive: true, force: true });
      rmSync(join(folder, entry), { recursive: true, force: true });
      removed += 1;
    } catch {
      // unreadable entry: leave it to `git worktree prune`
    }
  }
  return removed;
}

export interface IsolatedWorktree {
  readonly path: string;
  /** Environment for commands run in the sandbox: marker, own global git config, no GIT_DIR. */
  readonly env: Record<string, string | undefined>;
  /** The marker (`HIEROCODE_VERIFY_ID`) every process run in the sandbox carries. */
  readonly marker: string;
  /** Writes (or deletes, when content is null) a repo-relative file inside the sandbox. */
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

/** Copies one file or symlink by byte path, creating its folder. */
function copyEntry(source: Buffer, target: Buffer): void {
  mkdirSync(parentOf(target), { recursive: true });
  const stats = lstatSync(source);
  rmSync(target, { force: true });
  if (stats.isSymbolicLink()) symlinkSync(readlinkSync(source, { encoding: "buffer" }), target);
  else copyFileSync(source, target, constants.COPYFILE_FICLONE);
}

/**
 * Creates the sandbox (see the module comment). Throws UsageError when `repoRoot` is not a git
 * repository with a commit. Cleans sandboxes left by killed processes first.
 */
export function createIsolatedWorktree(repoRoot: string): IsolatedWorktree {
  try {
    git(repoRoot, ["rev-parse", "--verify", "HEAD"]);
  } catch {
    throw new UsageError("verification needs a git repository with at least one commit", {
      hint: noCommitHint(repoRoot),
    });
  }
  cleanStaleSandboxes(repoRoot);
  const holder = mkdtempSync(join(tmpdir(), holderPrefix));
  const marker = basename(holder);
  writeFileSync(join(holder, "owner.json"), JSON.stringify({ pid: process.pid, repoRoot }));
  const path = join(holder, "worktree");
  installHandlers();
  liveWorktrees.set(path, repoRoot);
  const globalConfig = join(holder, "gitconfig");
  try {
    const head = git(repoRoot, ["rev-parse", "--verify", "HEAD"]).trim();
    execFileSync("git", ["clone", "--quiet", "--shared", "--no-checkout", "--", repoRoot, path], {
      stdio: ["ignore", "pipe", "pipe"],
      env: cleanGitEnv(),
    });
    git(path, ["remote", "remove", "origin"]);
    git(path, ["checkout", "--quiet", "--detach", head]);
    // uncommitted tracked changes (staged or not), including deletions
    for (const name of nulNames(gitBytes(repoRoot, ["diff", "--name-only", "-z", "HEAD"]))) {
      checkInside(name);
      const source = bytePath(repoRoot, name);
      const target = bytePath(path, name);
      if (existsSync(source)) copyEntry(source, target);
      else rmSync(target, { force: true });
    }
    for (const name of nulNames(gitBytes(repoRoot, ["ls-files", "--others", "--exclude-standard", "-z"]))) {
      checkInside(name);
      copyEntry(bytePath(repoRoot, name), bytePath(path, name));
    }
    for (const dir of copiedDependencyDirs) {
      const source = join(repoRoot, dir);
      const target = join(path, dir);
      if (existsSync(source) && !existsSync(target)) {
        mkdirSync(dirname(target), { recursive: true });
        // A copy (copy-on-write where supported): a test deleting or editing a package changes only the copy.
        cpSync(source, target, {
          recursive: true,
          verbatimSymlinks: true,
          mode: constants.COPYFILE_FICLONE,
        });
      }
    }
    const userGlobal = process.env.GIT_CONFIG_GLOBAL || join(process.env.HOME || homedir(), ".gitconfig");
    if (existsSync(userGlobal)) copyFileSync(userGlobal, globalConfig);
    else writeFileSync(globalConfig, "");
  } catch (error) {
    removeWorktreeSync(path, repoRoot);
    throw error;
  }
  const env: Record<string, string | undefined> = { GIT_CONFIG_GLOBAL: globalConfig };
  for (const name of gitRedirectVariables) env[name] = undefined;

  return {
    path,
    env,
    marker,
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
