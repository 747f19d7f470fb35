/**
 * Guesses the project's test command from its manifests, in a fixed order so the answer is
 * predictable: package.json, Python config, Makefile, go.mod, Cargo.toml.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface DetectedCommand {
  command: string;
  /** The file the guess came from, shown to the user. */
  source: string;
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function fromPackageJson(repoRoot: string): DetectedCommand | null {
  const text = readText(join(repoRoot, "package.json"));
  if (text === null) return null;
  try {
    const manifest = JSON.parse(text) as { scripts?: Record<string, unknown> };
    const script = manifest.scripts?.test;
    // npm init writes a placeholder test script that always fails
    if (typeof script === "string" && script.trim() && !script.includes("no test specified")) {
      return { command: "npm test", source: "package.json" };
    }
  } catch {
    return null;
  }
  return null;
}

function fromPython(repoRoot: string): DetectedCommand | null {
  for (const file of ["pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini"]) {
    if (!existsSync(join(repoRoot, file))) continue;
    if (file === "setup.cfg" || file === "tox.ini") {
      const text = readText(join(repoRoot, file)) ?? "";
      if (!/^\[(tool:)?pytest\]/m.test(text) && file === "tox.ini") continue;
    }
    return { command: "python3 -m pytest -q", source: file };
  }
  return null;
}

function fromMakefile(repoRoot: string): DetectedCommand | null {
  for (const file of ["Makefile", "makefile", "GNUmakefile"]) {
    const text = readText(join(repoRoot, file));
    if (text !== null && /^test\s*:/m.test(text)) return { command: "make test", source: file };
  }
  return null;
}

export function detectVerifyCommand(repoRoot: string): DetectedCommand | null {
  return (
    fromPackageJson(repoRoot) ??
    fromPython(repoRoot) ??
    fromMakefile(repoRoot) ??
    (existsSync(join(repoRoot, "go.mod")) ? { command: "go test ./...", source: "go.mod" } : null) ??
    (existsSync(join(repoRoot, "Cargo.toml")) ? { command: "cargo test", source: "Cargo.toml" } : null)
  );
}
