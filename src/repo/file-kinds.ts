/**
 * What a file is, from its name alone: a parsed language, a skipped kind (binary, generated,
 * lockfile), or plain text that is listed by path and size.
 */
import { basename, extname } from "node:path";

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

export function languageForPath(path: string): LanguageId | null {
  const name = basename(path);
  if (name.endsWith(".d.ts")) return "typescript";
  if (name === "Rakefile" || name === "Gemfile") return "ruby";
  return languageByExtension[extname(name).toLowerCase()] ?? null;
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
  return binaryExtensions.has(extname(path).toLowerCase());
}

export function isGeneratedName(path: string): boolean {
  const name = basename(path);
  if (generatedNames.has(name)) return true;
  const lower = name.toLowerCase();
  return generatedSuffixes.some((suffix) => lower.endsWith(suffix));
}

/** A NUL byte in the first block is how git decides a file is binary; we do the same. */
export function looksBinary(head: Uint8Array): boolean {
  return head.includes(0);
}
