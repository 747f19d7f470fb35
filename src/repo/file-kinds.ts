/**
 * What a file is, from its name (and, for junk, its first bytes): a parsed language, binary
 * (skipped), junk (listed by path, ranked last) or plain text listed by path and size.
 */

export type LanguageId =
  | "typescript"
  | "tsx"
  | "javascript"
  | "python"
  | "go"
  | "rust"
  | "java"
  | "c"
  | "cpp"
  | "csharp"
  | "ruby"
  | "php";

const languageByExtension: Record<string, LanguageId> = {
  ".ts": "typescript",
  ".mts": "typescript",
  ".cts": "typescript",
  ".tsx": "tsx",
  ".js": "javascript",
  ".mjs": "javascript",
  ".cjs": "javascript",
  ".jsx": "javascript",
  ".py": "python",
  ".pyi": "python",
  ".go": "go",
  ".rs": "rust",
  ".java": "java",
  ".c": "c",
  ".h": "c",
  ".cc": "cpp",
  ".cpp": "cpp",
  ".cxx": "cpp",
  ".c++": "cpp",
  ".hh": "cpp",
  ".hpp": "cpp",
  ".hxx": "cpp",
  ".h++": "cpp",
  ".ipp": "cpp",
  ".cs": "csharp",
  ".rb": "ruby",
  ".rake": "ruby",
  ".php": "php",
};

/**
 * `path.extname` of a file name (no folders): from the last dot, "" when there is none or the
 * name only starts with one (`.bashrc`). String built-ins only — the walk calls this for every
 * file, before the JIT has warmed up.
 */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot);
}

/** The last segment of a repo-relative path ("/"-separated). */
function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function languageForPath(path: string): LanguageId | null {
  return languageForName(nameOf(path));
}

/** `languageForPath` of a bare file name. */
export function languageForName(name: string): LanguageId | null {
  if (name.endsWith(".d.ts")) return "typescript";
  if (name === "Rakefile" || name === "Gemfile") return "ruby";
  return languageByExtension[extensionOf(name).toLowerCase()] ?? null;
}

const cppMarkers =
  /^\s*(class\s+\w+[^;]*$|namespace\s+[\w:]*\s*\{|template\s*<|(public|private|protected)\s*:)/m;

/** `.h` is shared by C and C++; C++ headers are recognised by their declarations. */
export function refineLanguage(path: string, language: LanguageId, text: string): LanguageId {
  if (language === "c" && path.endsWith(".h") && cppMarkers.test(text)) return "cpp";
  return language;
}

/** `class EXPORT_MACRO Name`: an all-caps word between the keyword and the name. */
const exportMacro = /\b(class|struct)(\s+)([A-Z][A-Z0-9_]{2,})(\s+)(?=[A-Za-z_]\w*\s*(:[^:]|\{|;|$))/gm;
/** A line holding a lone all-caps macro (`__BEGIN_DECLS`, `G_BEGIN_DECLS`). */
const loneMacroLine = /^[ \t]*[A-Z_][A-Z0-9_]{3,}[ \t]*$/gm;
/** glibc-style declaration decorations: `__THROW`, `__wur`, `__nonnull ((1))`, `__attribute__ ((…))`. */
const decorations =
  /\b(__attribute__|__THROW|__THROWNL|__wur|__nonnull|__attribute_\w+__|__attr_\w+|__LEAF|__NTH|__REDIRECT\w*|__asm__)\b(\s*\(\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)\))?/g;

const blank = (text: string) => text.replace(/[^\n]/g, " ");

/**
 * Blanks what the parser cannot know without the preprocessor: export macros in class heads,
 * lone declaration macros and attribute decorations. Same-length replacement, so lines and
 * offsets stay true.
 */
export function prepareSource(language: LanguageId, text: string): string {
  if (language !== "c" && language !== "cpp") return text;
  return text
    .replace(
      exportMacro,
      (_match, keyword: string, gap: string, macro: string, space: string) =>
        `${keyword}${gap}${" ".repeat(macro.length)}${space}`,
    )
    .replace(loneMacroLine, blank)
    .replace(decorations, blank);
}

/** Never worth showing a model: images, archives, compiled objects, media, fonts, databases. */
const binaryExtensions = new Set(
  (
    ".png .jpg .jpeg .gif .bmp .ico .webp .tiff .psd .svgz .pdf .zip .gz .tgz .bz2 .xz .zst .7z .rar .tar " +
    ".jar .war .ear .class .o .obj .a .lib .so .dylib .dll .exe .bin .wasm .pyc .pyo .pyd .whl .egg .node " +
    ".mp3 .mp4 .wav .ogg .flac .avi .mov .mkv .webm .woff .woff2 .ttf .otf .eot .db .sqlite .sqlite3 " +
    ".pkl .pickle .npy .npz .parquet .onnx .pt .pth .safetensors .gguf .dat .idx .pack .icns .xcf .blend"
  ).split(" "),
);

/** Lockfiles and other machine-written files whose content tells a planner nothing. */
const generatedNames = new Set([
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lockb",
  "Cargo.lock",
  "poetry.lock",
  "Pipfile.lock",
  "uv.lock",
  "Gemfile.lock",
  "composer.lock",
  "go.sum",
  "packages.lock.json",
  "flake.lock",
]);

const generatedSuffixes = [
  ".min.js",
  ".min.css",
  ".min.mjs",
  ".map",
  ".bundle.js",
  ".pb.go",
  "_pb2.py",
  ".lock",
];

/** Folders of third-party code: never descended into. */
export const vendoredFolders = new Set(["node_modules", "vendor", "third_party", "bower_components", ".git"]);

export function isBinaryName(path: string): boolean {
  return binaryExtensions.has(extensionOf(nameOf(path)).toLowerCase());
}

export function isGeneratedName(path: string): boolean {
  return junkByName(path) !== null;
}

/**
 * Files that are listed (by path) but ranked below all code and never parsed: machine-written
 * (`generated`, `lockfile`, `minified`), third-party (`vendored`), payloads (`data`: base64 or
 * hex blobs, tables) and files whose bytes are not text in any encoding (`undecodable`).
 */
export type JunkKind = "generated" | "vendored" | "minified" | "lockfile" | "data" | "undecodable";

const dataExtensions = new Set([".csv", ".tsv", ".jsonl", ".ndjson", ".snap", ".b64", ".base64", ".hex"]);

/** What a file's name alone says it is, or null when it may be code. */
export function junkByName(path: string): JunkKind | null {
  const name = nameOf(path);
  if (generatedNames.has(name)) return "lockfile";
  const lower = name.toLowerCase();
  if (lower.endsWith(".lock")) return "lockfile";
  if (lower.includes(".min.")) return "minified";
  for (const suffix of generatedSuffixes) if (lower.endsWith(suffix)) return "generated";
  if (dataExtensions.has(extensionOf(lower))) return "data";
  return null;
}

/** 1 for the characters of base64 (standard and URL-safe alphabets, padding). */
const base64Table = new Uint8Array(128);
for (const char of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
  base64Table[char.charCodeAt(0)] = 1;

/**
 * What a file's text says it is: a base64/hex payload (at least 95% of its non-space characters
 * in the base64 alphabet, with almost no spaces: code has operators, brackets and spaces) or
 * minified code (lines of thousands of characters). Looks at the first 16 KiB only.
 */
export function junkByContent(text: string): JunkKind | null {
  const length = Math.min(text.length, 16384);
  if (length < 256) return null;
  let alphabet = 0;
  let spaces = 0;
  let visible = 0;
  let longest = 0;
  let lineStart = 0;
  let lines = 1;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code === 10) {
      if (index - lineStart > longest) longest = index - lineStart;
      lineStart = index + 1;
      lines++;
    } else if (code === 32 || code === 9) spaces++;
    else if (code !== 13) {
      visible++;
      if (code < 128 && base64Table[code] === 1) alphabet++;
    }
  }
  longest = Math.max(longest, length - lineStart);
  if (visible > 0 && alphabet >= 0.95 * visible && spaces <= 0.01 * visible) return "data";
  if (longest >= 2000 && length / lines >= 300) return "minified";
  return null;
}

/** A NUL byte in the first block is how git decides a file is binary; we do the same. */
export function looksBinary(head: Uint8Array): boolean {
  return head.includes(0);
}
