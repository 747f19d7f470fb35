/**
 * What a project declares it depends on, read from its manifests. Reads through an overlay so
 * a draft's own manifest edits count (the import is then declared, and the manifest edit is
 * flagged separately as a new entry).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, posix } from "node:path";

/** Reads a repo-relative file, preferring the draft's version. */
export type FileReader = (file: string) => string | null;

export function overlayReader(repoRoot: string, overlay: ReadonlyMap<string, string | null>): FileReader {
  return (file) => {
    if (overlay.has(file)) return overlay.get(file) ?? null;
    try {
      return readFileSync(join(repoRoot, file), "utf8");
    } catch {
      return null;
    }
  };
}

/** PEP 503 normalisation: case, `-`, `_` and `.` do not distinguish Python distributions. */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

function requirementName(spec: string): string | null {
  const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec);
  return match?.[1] ? normalizePythonName(match[1]) : null;
}

function jsonDependencies(text: string): string[] {
  try {
    const manifest = JSON.parse(text) as Record<string, unknown>;
    return ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"].flatMap((key) => {
      const section = manifest[key];
      return section && typeof section === "object" ? Object.keys(section) : [];
    });
  } catch {
    return [];
  }
}

function quotedStringsIn(block: string): string[] {
  return [...block.matchAll(/["']([^"'\n]+)["']/g)].flatMap((match) => (match[1] ? [match[1]] : []));
}

function pyprojectDependencies(text: string): string[] {
  const names: string[] = [];
  // PEP 621 arrays: dependencies = [...] and the tables of optional-dependencies / dependency-groups
  for (const match of text.matchAll(/^\s*(?:dependencies|[\w-]+)\s*=\s*\[([\s\S]*?)\]/gm)) {
    names.push(...quotedStringsIn(match[1] ?? "").flatMap((spec) => requirementName(spec) ?? []));
  }
  // Poetry/PDM tables: [tool.poetry.dependencies] name = "^1.0"
  for (const table of text.matchAll(/^\[tool\.[\w.-]*dependencies\]\s*$([\s\S]*?)(?=^\[|$(?![\s\S]))/gm)) {
    for (const line of (table[1] ?? "").split("\n")) {
      const key = /^\s*([A-Za-z0-9][\w.-]*)\s*=/.exec(line)?.[1];
      if (key && key !== "python") names.push(normalizePythonName(key));
    }
  }
  return names;
}

function requirementsDependencies(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line && !line.startsWith("-"))
    .flatMap((line) => requirementName(line) ?? []);
}

function setupDependencies(text: string): string[] {
  const names: string[] = [];
  const cfg = /install_requires\s*=\s*((?:.*\n)(?:[ \t]+.*\n?)*)/.exec(text);
  if (cfg?.[1]) names.push(...cfg[1].split(/[\n;]/).flatMap((line) => requirementName(line) ?? []));
  const py = /install_requires\s*=\s*\[([\s\S]*?)\]/.exec(text);
  if (py?.[1]) names.push(...quotedStringsIn(py[1]).flatMap((spec) => requirementName(spec) ?? []));
  return names;
}

function lineDependencies(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(pattern)].flatMap((match) => (match[1] ? [match[1]] : []));
}

/** Dependency names a manifest file declares, or null when the file is not a manifest. */
export function manifestDependencies(file: string, text: string): string[] | null {
  const name = basename(file);
  if (name === "package.json") return jsonDependencies(text);
  if (name === "pyproject.toml") return pyprojectDependencies(text);
  if (/^requirements.*\.(txt|in)$/.test(name)) return requirementsDependencies(text);
  if (name === "setup.cfg" || name === "setup.py") return setupDependencies(text);
  if (name === "Pipfile")
    return pyprojectDependencies(text.replace(/^\[(dev-)?packages\]/gm, "[tool.pipfile.dependencies]"));
  if (name === "go.mod")
    return lineDependencies(text, /^\s*(?:require\s+)?([a-z0-9.-]+\.[a-z]{2,}\/[^\s]+)\s+v\d/gm);
  if (name === "Cargo.toml") {
    const tables = [
      ...text.matchAll(/^\[(?:[\w-]+\.)?(?:dev-|build-)?dependencies\]\s*$([\s\S]*?)(?=^\[|$(?![\s\S]))/gm),
    ];
    return tables.flatMap((table) => lineDependencies(table[1] ?? "", /^\s*([A-Za-z0-9_-]+)\s*=/gm));
  }
  return null;
}

/** Packages a JS/TS file may import: every package.json from its folder up to the root, plus tsconfig paths. */
export function declaredJsPackages(
  file: string,
  read: FileReader,
): { packages: Set<string>; pathPrefixes: string[] } {
  const packages = new Set<string>();
  const pathPrefixes: string[] = [];
  let folder = posix.dirname(file);
  for (;;) {
    const manifestPath = folder === "." ? "package.json" : `${folder}/package.json`;
    const text = read(manifestPath);
    if (text !== null) {
      for (const name of jsonDependencies(text)) packages.add(name);
      try {
        const own = (JSON.parse(text) as { name?: unknown }).name;
        if (typeof own === "string") packages.add(own);
      } catch {
        // a broken package.json is the syntax check's business
      }
    }
    for (const config of ["tsconfig.json", "jsconfig.json"]) {
      const tsconfig = read(folder === "." ? config : `${folder}/${config}`);
      if (tsconfig === null) continue;
      for (const match of tsconfig.matchAll(/"([^"\n]+?)\*?"\s*:\s*\[/g)) {
        if (match[1] && match[1] !== "paths") pathPrefixes.push(match[1]);
      }
    }
    if (folder === ".") break;
    folder = posix.dirname(folder);
  }
  return { packages, pathPrefixes };
}

/** Import names that differ from their distribution names, for the common cases. */
const pythonImportAliases: Record<string, string[]> = {
  yaml: ["pyyaml"],
  PIL: ["pillow"],
  sklearn: ["scikit-learn"],
  cv2: ["opencv-python", "opencv-python-headless", "opencv-contrib-python"],
  bs4: ["beautifulsoup4"],
  dateutil: ["python-dateutil"],
  dotenv: ["python-dotenv"],
  jwt: ["pyjwt"],
  google: ["protobuf", "google-api-python-client", "google-cloud-storage"],
  attr: ["attrs"],
  OpenSSL: ["pyopenssl"],
  Crypto: ["pycryptodome"],
  magic: ["python-magic"],
  serial: ["pyserial"],
  git: ["gitpython"],
  docx: ["python-docx"],
  MySQLdb: ["mysqlclient"],
  psycopg2: ["psycopg2", "psycopg2-binary"],
  pkg_resources: ["setuptools"],
  setuptools: ["setuptools"],
  _pytest: ["pytest"],
};

export function pythonDistributionsFor(module: string): string[] {
  return [normalizePythonName(module), ...(pythonImportAliases[module] ?? [])];
}

/** Python distributions the project declares, normalised. */
export function declaredPythonPackages(repoRoot: string, read: FileReader): Set<string> {
  const names = new Set<string>();
  const candidates = ["pyproject.toml", "setup.cfg", "setup.py", "Pipfile"];
  try {
    for (const entry of readdirSync(repoRoot))
      if (/^requirements.*\.(txt|in)$/.test(entry)) candidates.push(entry);
    if (existsSync(join(repoRoot, "requirements"))) {
      for (const entry of readdirSync(join(repoRoot, "requirements")))
        candidates.push(`requirements/${entry}`);
    }
  } catch {
    // unreadable root: nothing declared
  }
  for (const candidate of candidates) {
    const text = read(candidate);
    if (text === null) continue;
    const declared = candidate.startsWith("requirements/")
      ? requirementsDependencies(text)
      : (manifestDependencies(candidate, text) ?? []);
    for (const name of declared) names.add(normalizePythonName(name));
  }
  return names;
}

/** Top-level Python modules that live in the repository itself (root, src/, and the file's own folder). */
export function localPythonModules(
  repoRoot: string,
  file: string,
  extraFiles: Iterable<string>,
): Set<string> {
  const names = new Set<string>();
  const folders = new Set([".", "src", "lib", dirname(file)]);
  for (const folder of folders) {
    try {
      for (const entry of readdirSync(join(repoRoot, folder), { withFileTypes: true })) {
        if (entry.isDirectory()) names.add(entry.name);
        else if (entry.name.endsWith(".py")) names.add(entry.name.slice(0, -3));
      }
    } catch {
      // folder does not exist
    }
  }
  for (const extra of extraFiles) {
    const parts = extra.split("/");
    for (const part of parts) names.add(part.replace(/\.pyi?$/, ""));
  }
  return names;
}

/** The nearest manifest named `name` from the file's folder up to the root, as [path, text]. */
export function nearestManifest(file: string, name: string, read: FileReader): [string, string] | null {
  let folder = posix.dirname(file);
  for (;;) {
    const path = folder === "." ? name : `${folder}/${name}`;
    const text = read(path);
    if (text !== null) return [path, text];
    if (folder === ".") return null;
    folder = posix.dirname(folder);
  }
}

/** Go: an import is declared when it is standard library, inside this module, or inside a required module. */
export function goImportDeclared(importPath: string, file: string, read: FileReader): boolean {
  if (!(importPath.split("/")[0] ?? "").includes(".")) return true; // standard library paths have no dot
  const manifest = nearestManifest(file, "go.mod", read);
  if (!manifest) return false;
  const own = /^module\s+(\S+)/m.exec(manifest[1])?.[1];
  const modules = [...(own ? [own] : []), ...(manifestDependencies("go.mod", manifest[1]) ?? [])];
  return modules.some((module) => importPath === module || importPath.startsWith(`${module}/`));
}

/** Rust: a crate is declared when Cargo.toml lists it (dashes and underscores are the same) or it is this package. */
export function rustCrateDeclared(crate: string, file: string, read: FileReader): boolean {
  const manifest = nearestManifest(file, "Cargo.toml", read);
  if (!manifest) return false;
  const normalize = (name: string) => name.replace(/-/g, "_");
  const own = /^\[package\][\s\S]*?^name\s*=\s*"([^"]+)"/m.exec(manifest[1])?.[1];
  const names = [...(own ? [own] : []), ...(manifestDependencies("Cargo.toml", manifest[1]) ?? [])].map(
    normalize,
  );
  return names.includes(normalize(crate));
}
