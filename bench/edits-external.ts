/** Runs `git apply` and GNU `patch --fuzz=3` on the same unified-diff cases, in a scratch repository. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export type Verdict = "exact" | "refused" | "wrong";

export interface ExternalTool {
  name: string;
  available: boolean;
  run(path: string, before: string, expected: string, diff: string): Verdict;
  dispose(): void;
}

/** What ended up on disk decides: the intended file, the untouched file, or anything else. */
export function verdictOf(result: string | null, before: string, expected: string): Verdict {
  if (result === expected) return "exact";
  if (result === before) return "refused";
  return "wrong";
}

function available(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

function scratch(): { root: string; work: string; patch: string } {
  const root = mkdtempSync(join(tmpdir(), "hierocode-bench-"));
  const work = join(root, "repo");
  mkdirSync(work);
  spawnSync("git", ["init", "-q", work]);
  return { root, work, patch: join(root, "change.diff") };
}

function tool(name: string, command: string, args: (patch: string) => string[]): ExternalTool {
  const place = scratch();
  return {
    name,
    available: available(command, ["--version"]),
    run(path, before, expected, diff) {
      const target = join(place.work, path);
      rmSync(join(place.work, path.split("/")[0] ?? path), { recursive: true, force: true });
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, before);
      writeFileSync(place.patch, diff);
      const run = spawnSync(command, args(place.patch), {
        cwd: place.work,
        stdio: "ignore",
        timeout: 20_000,
      });
      const result = existsSync(target) ? readFileSync(target, "utf8") : null;
      // An error exit that left the file as it was is a refusal, even where that file is the right one.
      if (run.status !== 0 && result === before) return "refused";
      return verdictOf(result, before, expected);
    },
    dispose() {
      rmSync(place.root, { recursive: true, force: true });
    },
  };
}

export function externalTools(): ExternalTool[] {
  return [
    tool("git apply", "git", (patch) => ["apply", "--whitespace=nowarn", patch]),
    tool("patch --fuzz=3", "patch", (patch) => [
      "-p1",
      "--fuzz=3",
      "--batch",
      "--forward",
      "--no-backup-if-mismatch",
      "--reject-file=-",
      "-s",
      "-i",
      patch,
    ]),
  ];
}
