/**
 * Loads tree-sitter grammars for web-tree-sitter 0.27. Most come from `@vscode/tree-sitter-wasm`
 * (recent builds, ABI 14/15). C only exists in `tree-sitter-wasms`, whose builds predate the
 * `dylink.0` custom section that current Emscripten loaders require; the old `dylink` section
 * carries the same four numbers (memory size/alignment, table size/alignment) plus the needed
 * libraries, so it is rewritten in memory into the new layout before loading. Checked by
 * loading and parsing with every grammar in both packages (see the repo tests).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Language, Parser } from "web-tree-sitter";
import type { LanguageId } from "./file-kinds.js";

const require = createRequire(import.meta.url);

const sources: Record<LanguageId, { module: string; file: string }> = {
  typescript: { module: "@vscode/tree-sitter-wasm", file: "wasm/tree-sitter-typescript.wasm" },
  tsx: { module: "@vscode/tree-sitter-wasm", file: "wasm/tree-sitter-tsx.wasm" },
  javascript: { module: "@vscode/tree-sitter-wasm", file: "wasm/tree-sitter-javascript.wasm" },
  python: { module: "@vscode/tree-sitter-wasm", file: "wasm/tree-sitter-python.wasm" },
  go: { module: "@vscode/tree-sitter-wasm", file: "wasm/tree-sitter-go.wasm" },
  rust: { module: "@vscode/tree-sitter-wasm", file: "wasm/tree-sitter-rust.wasm" },
  java: { module: "@vscode/tree-sitter-wasm", file: "wasm/tree-sitter-java.wasm" },
  c: { module: "tree-sitter-wasms", file: "out/tree-sitter-c.wasm" },
  cpp: { module: "@vscode/tree-sitter-wasm", file: "wasm/tree-sitter-cpp.wasm" },
  csharp: { module: "@vscode/tree-sitter-wasm", file: "wasm/tree-sitter-c-sharp.wasm" },
  ruby: { module: "@vscode/tree-sitter-wasm", file: "wasm/tree-sitter-ruby.wasm" },
  php: { module: "@vscode/tree-sitter-wasm", file: "wasm/tree-sitter-php.wasm" },
};

function packageFile(module: string, file: string): string {
  const manifest = require.resolve(`${module}/package.json`);
  return manifest.slice(0, -"package.json".length) + file;
}

function readLeb(bytes: Uint8Array, start: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let offset = start;
  for (;;) {
    const byte = bytes[offset++] ?? 0;
    value |= (byte & 0x7f) << shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value >>> 0, offset];
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

/** Rewrites a leading legacy `dylink` custom section as `dylink.0`; other modules pass through. */
export function upgradeDylinkSection(bytes: Uint8Array): Uint8Array {
  if (bytes[8] !== 0) return bytes;
  const [size, contentStart] = readLeb(bytes, 9);
  const end = contentStart + size;
  const [nameLength, nameStart] = readLeb(bytes, contentStart);
  const name = new TextDecoder().decode(bytes.subarray(nameStart, nameStart + nameLength));
  if (name !== "dylink") return bytes;
  const body = bytes.subarray(nameStart + nameLength, end);
  let offset = 0;
  const memoryInfo: number[] = [];
  for (let index = 0; index < 4; index++) {
    const [value, next] = readLeb(body, offset);
    memoryInfo.push(...leb(value));
    offset = next;
  }
  const needed = Array.from(body.subarray(offset));
  const newName = Array.from(new TextEncoder().encode("dylink.0"));
  const content = [...leb(newName.length), ...newName, 1, ...leb(memoryInfo.length), ...memoryInfo];
  const hasNeeded = !(needed.length === 1 && needed[0] === 0) && needed.length > 0;
  if (hasNeeded) content.push(2, ...leb(needed.length), ...needed);
  const section = [0, ...leb(content.length), ...content];
  const out = new Uint8Array(8 + section.length + (bytes.length - end));
  out.set(bytes.subarray(0, 8), 0);
  out.set(section, 8);
  out.set(bytes.subarray(end), 8 + section.length);
  return out;
}

let initialized: Promise<void> | null = null;
const languages = new Map<LanguageId, Promise<Language>>();

export function initParser(): Promise<void> {
  initialized ??= Parser.init();
  return initialized;
}

export function loadGrammar(language: LanguageId): Promise<Language> {
  let pending = languages.get(language);
  if (!pending) {
    const source = sources[language];
    pending = initParser().then(() =>
      Language.load(upgradeDylinkSection(readFileSync(packageFile(source.module, source.file)))),
    );
    languages.set(language, pending);
  }
  return pending;
}
