/**
 * Pulls the package names a source file imports, for the dependency-creep check. Regular
 * expressions are enough here: we only need module specifiers, and a missed exotic form costs
 * a missing warning, not a wrong edit.
 */
import { builtinModules } from "node:module";
import { extname } from "node:path";

export type ImportLanguage = "js" | "python" | "go" | "rust";

export function importLanguage(file: string): ImportLanguage | null {
  const extension = extname(file).toLowerCase();
  if ([".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".vue", ".svelte"].includes(extension))
    return "js";
  if (extension === ".py" || extension === ".pyi") return "python";
  if (extension === ".go") return "go";
  if (extension === ".rs") return "rust";
  return null;
}

const jsPatterns = [
  /\bimport\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?["']([^"'\n]+)["']/g,
  /\bexport\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+["']([^"'\n]+)["']/g,
  /\brequire\s*\(\s*["']([^"'\n]+)["']\s*\)/g,
  /\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)/g,
];

/** Module specifiers in a JS/TS file, comments removed first so commented-out imports don't count. */
export function jsSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const found: string[] = [];
  for (const pattern of jsPatterns) {
    for (const match of code.matchAll(pattern)) if (match[1]) found.push(match[1]);
  }
  return found;
}

const nodeBuiltins = new Set(builtinModules.map((name) => name.replace(/^node:/, "")));

/** The npm package a bare specifier names, or null for relative, builtin and URL-like specifiers. */
export function jsPackageName(specifier: string): string | null {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("#")) return null;
  if (specifier.includes(":")) return null; // node:, bun:, virtual:, https:
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? "");
  if (!name || nodeBuiltins.has(name) || nodeBuiltins.has(specifier)) return null;
  return name;
}

/** Top-level modules a Python file imports (relative imports excluded). */
export function pythonModules(source: string): string[] {
  const found: string[] = [];
  for (const rawLine of source.split("\n")) {
    const line = rawLine.replace(/#.*$/, "");
    const fromMatch = /^\s*from\s+([A-Za-z_][\w.]*)\s+import\b/.exec(line);
    if (fromMatch?.[1]) {
      found.push(fromMatch[1].split(".")[0] ?? "");
      continue;
    }
    const importMatch = /^\s*import\s+(.+)$/.exec(line);
    if (!importMatch?.[1]) continue;
    for (const part of importMatch[1].split(",")) {
      const module = /^\s*([A-Za-z_][\w.]*)/.exec(part)?.[1];
      if (module) found.push(module.split(".")[0] ?? "");
    }
  }
  return found.filter(Boolean);
}

/** Import paths of a Go file (single imports and import blocks). */
export function goImports(source: string): string[] {
  const found: string[] = [];
  for (const block of source.matchAll(/^import\s*\(([\s\S]*?)\)/gm)) {
    for (const line of (block[1] ?? "").split("\n")) {
      const path = /^\s*(?:[\w.]+\s+)?"([^"]+)"/.exec(line)?.[1];
      if (path) found.push(path);
    }
  }
  for (const single of source.matchAll(/^import\s+(?:[\w.]+\s+)?"([^"]+)"/gm))
    if (single[1]) found.push(single[1]);
  return found;
}

const rustBuiltinCrates = new Set(["std", "core", "alloc", "crate", "self", "super", "proc_macro", "test"]);

/** External crates a Rust file names in `use` and `extern crate`. */
export function rustCrates(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(
    /^\s*(?:pub(?:\([^)]*\))?\s+)?(?:use\s+:{0,2}|extern\s+crate\s+)([A-Za-z_]\w*)/gm,
  )) {
    if (match[1] && !rustBuiltinCrates.has(match[1])) found.push(match[1]);
  }
  return found;
}

/** Package names a file imports, in the vocabulary of its language's manifests. */
export function importedPackages(file: string, source: string): string[] {
  const language = importLanguage(file);
  if (language === "js")
    return [...new Set(jsSpecifiers(source).flatMap((spec) => jsPackageName(spec) ?? []))];
  if (language === "python") return [...new Set(pythonModules(source))];
  if (language === "go") return [...new Set(goImports(source))];
  if (language === "rust") return [...new Set(rustCrates(source))];
  return [];
}
