/**
 * Deterministic checks on a draft, run before the reviewer is paid: syntax, dependency creep,
 * secrets and size. Errors send the draft back to the drafter; warnings go to the reviewer and
 * the user.
 */
import type { ChangedFile, CheckFinding, DraftChecker } from "../pipeline/hooks.js";
import { checkDependencies } from "./dependency-check.js";
import { checkSecrets, checkSize, defaultSizeLimits, type SizeLimits } from "./secret-check.js";
import { checkSyntax } from "./syntax-check.js";

export { checkDependencies } from "./dependency-check.js";
export { importedPackages } from "./imports.js";
export { addedLines, checkSecrets, checkSize, shannonEntropy } from "./secret-check.js";
export { checkSyntax } from "./syntax-check.js";

export type CheckName = "syntax" | "dependency" | "secret" | "size";

export interface DraftCheckerOptions {
  /** Which checks to run (all by default). */
  checks?: CheckName[];
  sizeLimits?: Partial<SizeLimits>;
}

export function createDraftChecker(options: DraftCheckerOptions = {}): DraftChecker {
  const enabled = new Set<CheckName>(options.checks ?? ["syntax", "dependency", "secret", "size"]);
  const limits = { ...defaultSizeLimits, ...(options.sizeLimits ?? {}) };
  return {
    async check(repoRoot: string, changes: ChangedFile[]): Promise<CheckFinding[]> {
      const findings: CheckFinding[] = [];
      if (enabled.has("syntax")) findings.push(...(await checkSyntax(changes)));
      if (enabled.has("dependency")) findings.push(...checkDependencies(repoRoot, changes));
      if (enabled.has("secret")) findings.push(...checkSecrets(changes));
      if (enabled.has("size")) findings.push(...checkSize(changes, limits));
      // errors first: they decide what happens to the draft
      return findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
    },
  };
}

/** One line per finding, for the reviewer prompt and the terminal. */
export function formatFindings(findings: CheckFinding[]): string {
  return findings
    .map(
      (finding) =>
        `${finding.severity} [${finding.check}] ${finding.file}${finding.line ? `:${finding.line}` : ""}: ${finding.message}`,
    )
    .join("\n");
}
