/**
 * Path rules that need no disk access: what an edit may name at all, and which files an edit may
 * never write (the tool's own control files and `policy.protected_paths`).
 */
import ignore, { type Ignore } from "ignore";
import { ExitCode, HierocodeError } from "../errors.js";

export class UnsafePathError extends HierocodeError {
  constructor(message: string, path: string, hint?: string) {
    super("unsafe_path", message, ExitCode.editsFailed, {
      hint: hint ?? "edits may only touch files inside the repository, outside .git/",
      details: { path },
    });
  }
}

/**
 * The default of `policy.protected_paths` (gitignore syntax): CI definitions, git hook managers
 * and `.env` files. A model's edit to one of them would run on the next push, commit or build.
 */
export const defaultProtectedPaths: readonly string[] = [
  ".env*",
  ".github/workflows/",
  ".github/actions/",
  ".gitlab-ci.yml",
  ".gitlab/ci/",
  ".circleci/",
  ".buildkite/",
  ".travis.yml",
  "azure-pipelines.yml",
  ".azure-pipelines/",
  "Jenkinsfile",
  "bitbucket-pipelines.yml",
  ".woodpecker/",
  ".woodpecker.yml",
  ".drone.yml",
  ".husky/",
  ".githooks/",
  ".pre-commit-config.yaml",
  "lefthook.yml",
  ".lefthook/",
];

/** hierocode's own files inside a repository: always protected, whatever the config says. */
const controlFiles = ignore({ ignorecase: true }).add([".hierocode.yaml", ".haco/"]);

let protectedMatcher: Ignore | undefined;
let userConfigFile: string | undefined;

/**
 * Sets the user's `policy.protected_paths` (gitignore patterns, relative to the repository root)
 * and the absolute path of the user config file for this process. Until called, the defaults apply.
 */
export function configureProtectedPaths(options: { patterns: readonly string[]; userConfig?: string }): void {
  protectedMatcher = ignore({ ignorecase: true }).add([...options.patterns]);
  userConfigFile = options.userConfig;
}

/** The absolute path of the user config file, when configured (compared after resolving symlinks). */
export function protectedUserConfig(): string | undefined {
  return userConfigFile;
}

function currentMatcher(): Ignore {
  protectedMatcher ??= ignore({ ignorecase: true }).add([...defaultProtectedPaths]);
  return protectedMatcher;
}

/** Why an edit may not write `path` (repository-relative, `/`-separated), or undefined when it may. */
export function protectedReason(path: string): string | undefined {
  const normalized = path.replace(/\\/g, "/");
  if (controlFiles.ignores(normalized))
    return normalized.toLowerCase().startsWith(".haco/") || normalized.toLowerCase().includes("/.haco/")
      ? `${normalized} is under .haco/, hierocode's own folder (run logs, ignore rules)`
      : `${normalized} is hierocode's own config file`;
  const test = currentMatcher().test(normalized);
  if (test.ignored)
    return `${normalized} matches policy.protected_paths${test.rule ? ` ('${test.rule.pattern}')` : ""}`;
  return undefined;
}

/** checkRelativePath, then refuses the tool's control files and `policy.protected_paths`. */
export function checkWritablePath(path: string): void {
  checkRelativePath(path);
  const reason = protectedReason(path);
  if (reason)
    throw new UnsafePathError(
      `protected path refused: ${reason}; a model's edit may not write it`,
      path,
      reason.includes("policy.protected_paths")
        ? "edit it yourself, or remove its pattern from policy.protected_paths in your own config"
        : "hierocode's control files are never written by a model's edit; change them yourself",
    );
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
