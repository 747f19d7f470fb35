/**
 * Dependency creep (HACO §11.3): a draft that imports a package the project does not declare,
 * or that adds entries to a manifest, is flagged for the reviewer and the user. Warnings only:
 * a new dependency can be right, but it must never slip in unnoticed.
 */
import type { ChangedFile, CheckFinding } from "../pipeline/hooks.js";
import { importedPackages, importLanguage } from "./imports.js";
import {
  declaredJsPackages,
  declaredPythonPackages,
  goImportDeclared,
  localPythonModules,
  manifestDependencies,
  overlayReader,
  pythonDistributionsFor,
  rustCrateDeclared,
} from "./manifests.js";
import { pythonStdlibModules } from "./python-stdlib.js";

function lineOf(source: string, needle: string): number | undefined {
  const index = source
    .split("\n")
    .findIndex((line) => line.includes(needle) && /import|require|from|\buse\b|extern crate|["']/.test(line));
  return index === -1 ? undefined : index + 1;
}

function manifestFindings(change: ChangedFile): CheckFinding[] {
  if (change.after === null) return [];
  const after = manifestDependencies(change.file, change.after);
  if (after === null) return [];
  const before = new Set(
    change.before === null ? [] : (manifestDependencies(change.file, change.before) ?? []),
  );
  return [...new Set(after)]
    .filter((name) => !before.has(name))
    .map((name) => ({
      check: "manifest",
      severity: "warning" as const,
      file: change.file,
      message: `adds the dependency "${name}" to ${change.file}; confirm it is wanted (and audit it: npm audit / pip-audit)`,
    }));
}

export function checkDependencies(repoRoot: string, changes: ChangedFile[]): CheckFinding[] {
  const overlay = new Map(changes.map((change) => [change.file, change.after] as const));
  const read = overlayReader(repoRoot, overlay);
  const changedFiles = changes.filter((change) => change.after !== null).map((change) => change.file);
  const findings: CheckFinding[] = [];
  let pythonDeclared: Set<string> | null = null;

  for (const change of changes) {
    findings.push(...manifestFindings(change));
    if (change.after === null) continue;
    const language = importLanguage(change.file);
    if (!language) continue;
    const before = new Set(change.before === null ? [] : importedPackages(change.file, change.before));
    const added = importedPackages(change.file, change.after).filter((name) => !before.has(name));
    if (added.length === 0) continue;

    if (language === "js") {
      const { packages, pathPrefixes } = declaredJsPackages(change.file, read);
      for (const name of added) {
        const typesPackage = `@types/${name.startsWith("@") ? name.slice(1).replace("/", "__") : name}`;
        if (packages.has(name) || packages.has(typesPackage)) continue;
        if (pathPrefixes.some((prefix) => name.startsWith(prefix) || `${name}/`.startsWith(prefix))) continue;
        const line = lineOf(change.after, name);
        findings.push({
          check: "dependency",
          severity: "warning",
          file: change.file,
          ...(line === undefined ? {} : { line }),
          message: `imports "${name}", which no package.json of the project declares`,
        });
      }
      continue;
    }

    if (language === "go" || language === "rust") {
      const declared = language === "go" ? goImportDeclared : rustCrateDeclared;
      const manifestName = language === "go" ? "go.mod" : "Cargo.toml";
      for (const name of added) {
        if (declared(name, change.file, read)) continue;
        const line = lineOf(change.after, name);
        findings.push({
          check: "dependency",
          severity: "warning",
          file: change.file,
          ...(line === undefined ? {} : { line }),
          message: `imports "${name}", which the project's ${manifestName} does not declare`,
        });
      }
      continue;
    }

    pythonDeclared ??= declaredPythonPackages(repoRoot, read);
    const local = localPythonModules(repoRoot, change.file, changedFiles);
    for (const module of added) {
      if (pythonStdlibModules.has(module) || local.has(module)) continue;
      if (pythonDistributionsFor(module).some((name) => pythonDeclared?.has(name))) continue;
      const line = lineOf(change.after, module);
      findings.push({
        check: "dependency",
        severity: "warning",
        file: change.file,
        ...(line === undefined ? {} : { line }),
        message: `imports "${module}", which is neither standard library, local, nor declared in the project's requirements`,
      });
    }
  }
  return findings;
}
