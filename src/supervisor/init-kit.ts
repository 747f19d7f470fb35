/**
 * Writes the supervisor kit into a repository, all or nothing: if any target exists and
 * `force` is not set, nothing is written and the conflicts are reported.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "../errors.js";
import { type KitFile, type SupervisorAgent, supervisorKitFiles } from "./kit-files.js";

export interface InitKitOptions {
  repoRoot: string;
  agent: SupervisorAgent;
  force: boolean;
}

export interface InitKitResult {
  written: string[];
  /** Existing files that were replaced (only with force). */
  overwritten: string[];
}

export function initSupervisorKit(options: InitKitOptions): InitKitResult {
  const files: KitFile[] = supervisorKitFiles(options.agent);
  const existing = files
    .filter((file) => existsSync(join(options.repoRoot, file.path)))
    .map((file) => file.path);
  if (existing.length > 0 && !options.force) {
    throw new UsageError(`not overwriting existing files: ${existing.join(", ")}`, {
      hint: "pass --force to replace them (nothing was written)",
      details: { existing },
    });
  }
  for (const file of files) {
    const target = join(options.repoRoot, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content, { mode: file.mode });
    chmodSync(target, file.mode); // writeFileSync leaves the mode of an existing file alone
  }
  return { written: files.map((file) => file.path), overwritten: existing };
}
