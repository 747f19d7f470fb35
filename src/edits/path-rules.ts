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

/**
 * Refuses new text content that is not text: a NUL byte (binary) or text that cannot be written as
 * UTF-8 (lone surrogates from a model's escaped JSON). Same error as reading a binary file.
 */
export function checkTextContent(path: string, content: string): void {
  if (content.includes("\0"))
    throw new BinaryFileError(
      path,
      `the edit would write a NUL byte into ${printablePath(path)}; binary content is refused in text edits`,
    );
  if (loneSurrogate.test(content))
    throw new BinaryFileError(
      path,
      `the edit would write invalid UTF-8 (a lone surrogate) into ${printablePath(path)}; refused`,
    );
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
  constructor(path: string, reason?: string) {
    super(
      "binary_file",
      reason ?? `${printablePath(path)} is a binary (or non-UTF-8) file; text edits cannot be applied to it`,
      ExitCode.editsFailed,
      {
        details: { path },
      },
    );
  }
}

/**
 * C0/C1 control characters (terminal escape sequences start with one), DEL, and the Unicode
 * bidirectional controls that make a name display differently from what it is (CVE-2021-42574).
 */
const unsafeCharacters = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A UTF-16 surrogate without its pair: a string that has no UTF-8 form. */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A path as it may be printed: control and bidi characters escaped as `\xNN` / `\uNNNN`, so a
 * name cannot move the cursor, recolour, retitle or reorder the terminal. Other text unchanged.
 */
export function printablePath(path: string): string {
  return path.replace(unsafeCharacters, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Throws UnsafePathError for absolute paths, `..`, `.git/` and other names that may not be edited. */
export function checkRelativePath(path: string): void {
  if (path.length === 0) throw new UnsafePathError("empty path", path);
  if (path.includes("\0"))
    throw new UnsafePathError(`path contains a NUL byte: ${printablePath(path)}`, path);
  if (new RegExp(unsafeCharacters.source).test(path))
    throw new UnsafePathError(
      `path contains control or bidirectional characters, refused: ${printablePath(path)}`,
      path,
    );
  if (path.includes("\ufffd") || loneSurrogate.test(path))
    throw new UnsafePathError(`path is not valid UTF-8: ${printablePath(path)}`, path);
  if (path.length >= 2 && path.startsWith('"') && path.endsWith('"'))
    throw new UnsafePathError(`a quoted path that is not valid git quoting: ${printablePath(path)}`, path);
  if (path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:/.test(path) || path.startsWith("~")) {
    throw new UnsafePathError(`absolute path refused: ${printablePath(path)}`, path);
  }
  const segments = path.split(/[\\/]/);
  if (segments.some((segment) => segment === ".."))
    throw new UnsafePathError(`path leaves the repository: ${printablePath(path)}`, path);
  if (segments.some((segment) => segment.toLowerCase() === ".git"))
    throw new UnsafePathError(`path inside .git refused: ${printablePath(path)}`, path);
  if (segments.some((segment) => segment === "" || segment === ".") && segments.length > 1) {
    throw new UnsafePathError(`malformed path: ${printablePath(path)}`, path);
  }
}
