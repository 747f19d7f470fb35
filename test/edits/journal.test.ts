/**
 * Crash-safe writes: a write stopped at every journal step (exactly where a SIGKILL would stop
 * it) is completed or rolled back by the next recovery, leaving the tree all-old or all-new,
 * with no temp or `.orig` files and no journal left behind.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { journalFolder, recoverInterruptedWrites, SimulatedCrash } from "../../src/edits/journal.js";
import type { FileChange } from "../../src/edits/types.js";
import { writeChangesAtomically } from "../../src/edits/write-changes.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

interface Scenario {
  repo: string;
  env: Record<string, string>;
  changes: FileChange[];
  oldTree: Record<string, string>;
  newTree: Record<string, string>;
}

/** A repository with `size` modified files, two new files in new folders and one deletion. */
function scenario(size: number): Scenario {
  const base = realpathSync(mkdtempSync(join(tmpdir(), "hc-journal-")));
  folders.push(base);
  const repo = join(base, "repo");
  mkdirSync(join(repo, ".git"), { recursive: true });
  mkdirSync(join(repo, "src"));
  const changes: FileChange[] = [];
  for (let index = 0; index < size; index++) {
    const file = `src/m${index}.py`;
    const before = `def f${index}():\n    return ${index}\n`;
    writeFileSync(join(repo, file), before);
    changes.push({ file, before, after: `def f${index}():\n    return ${index} + 1\n` });
  }
  chmodSync(join(repo, "src/m0.py"), 0o755);
  writeFileSync(join(repo, "gone.txt"), "bye\n");
  changes.push({ file: "gone.txt", before: "bye\n", after: null });
  changes.push({ file: "new/deep/a.py", before: null, after: "A = 1\n" });
  changes.push({ file: "new/b.py", before: null, after: "B = 2\n" });
  const oldTree = tree(repo);
  const newTree: Record<string, string> = { ...oldTree };
  for (const change of changes) {
    if (change.after === null) delete newTree[change.file];
    else newTree[change.file] = change.after;
  }
  return { repo, env: { HIEROCODE_STATE_DIR: join(base, "state") }, changes, oldTree, newTree };
}

/** Every file and folder of the repository (outside .git) with its content ("<dir>" for folders). */
function tree(repo: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(repo, { recursive: true, encoding: "utf8" }).sort()) {
    if (entry === ".git" || entry.startsWith(".git/")) continue;
    const path = join(repo, entry);
    out[entry] = statSync(path).isDirectory() ? "<dir>" : readFileSync(path, "utf8");
  }
  return out;
}

function withFolders(files: Record<string, string>, repo: string): Record<string, string> {
  // folders of the new tree exist only in the new tree
  const out: Record<string, string> = { ...files };
  for (const file of Object.keys(files)) {
    const parts = file.split("/");
    for (let depth = 1; depth < parts.length; depth++) out[parts.slice(0, depth).join("/")] = "<dir>";
  }
  void repo;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function countSteps(size: number): number {
  const probe = scenario(size);
  let steps = 0;
  writeChangesAtomically(probe.repo, probe.changes, { env: probe.env, onStep: (step) => (steps = step) });
  expect(tree(probe.repo)).toEqual(withFolders(probe.newTree, probe.repo));
  return steps;
}

describe("journalled writes: a crash at every step", () => {
  for (const size of [1, 3, 6, 12, 20]) {
    it(`${size} modified files + 2 created + 1 deleted: all-old or all-new after recovery`, () => {
      const steps = countSteps(size);
      expect(steps).toBeGreaterThan(3 * size);
      const seen = { old: 0, new: 0 };
      for (let crashAt = 1; crashAt <= steps; crashAt++) {
        const run = scenario(size);
        expect(() =>
          writeChangesAtomically(run.repo, run.changes, {
            env: run.env,
            onStep: (step) => {
              if (step === crashAt) throw new SimulatedCrash(step);
            },
          }),
        ).toThrow(SimulatedCrash);
        const reports = recoverInterruptedWrites(run.repo, run.env);
        const after = tree(run.repo);
        const isOld = JSON.stringify(after) === JSON.stringify(withFolders(run.oldTree, run.repo));
        const isNew = JSON.stringify(after) === JSON.stringify(withFolders(run.newTree, run.repo));
        if (!isOld && !isNew) expect({ crashAt, after }).toEqual({ crashAt, after: run.oldTree });
        if (isOld) seen.old++;
        else seen.new++;
        // said which it did (the very first step is before anything exists)
        if (reports.length > 0) expect(reports[0]?.action).toBe(isNew ? "completed" : "rolled back");
        expect(Object.keys(after).filter((name) => /\.tmp$|\.orig$/.test(name))).toEqual([]);
        const journals = journalFolder(run.repo, run.env);
        expect(existsSync(journals) ? readdirSync(journals) : []).toEqual([]);
        if (isNew) expect(statSync(join(run.repo, "src/m0.py")).mode & 0o777).toBe(0o755);
        // a second recovery has nothing left to do
        expect(recoverInterruptedWrites(run.repo, run.env)).toEqual([]);
      }
      expect(seen.old).toBeGreaterThan(0);
      expect(seen.new).toBeGreaterThan(0);
    }, 60_000);
  }

  it("a crash during an in-process rollback is finished by the next recovery", () => {
    const size = 5;
    const probe = scenario(size);
    // Fail the 3rd rename (disk full), then crash at each step of the rollback that follows.
    let rollbackSteps = 0;
    let failedAt = 0;
    let renames = 0;
    expect(() =>
      writeChangesAtomically(probe.repo, probe.changes, {
        env: probe.env,
        rename: (from, to) => {
          renames++;
          if (renames === 3) throw new Error("disk full");
          renameSync(from, to);
        },
        onStep: (step) => {
          if (renames >= 3) {
            if (failedAt === 0) failedAt = step;
            rollbackSteps = step - failedAt + 1;
          }
        },
      }),
    ).toThrow(/disk full/);
    expect(tree(probe.repo)).toEqual(withFolders(probe.oldTree, probe.repo));
    expect(rollbackSteps).toBeGreaterThan(2);
    for (let offset = 0; offset < rollbackSteps; offset++) {
      const run = scenario(size);
      let count = 0;
      let failing = 0;
      expect(() =>
        writeChangesAtomically(run.repo, run.changes, {
          env: run.env,
          rename: (from, to) => {
            count++;
            if (count === 3) throw new Error("disk full");
            renameSync(from, to);
          },
          onStep: (step) => {
            if (count >= 3) {
              if (failing === 0) failing = step;
              if (step - failing === offset) throw new SimulatedCrash(step);
            }
          },
        }),
      ).toThrow();
      recoverInterruptedWrites(run.repo, run.env);
      const after = tree(run.repo);
      // Killed before "rolling-back" was recorded, the write may still be completed; after it, never.
      if (offset === 0 && JSON.stringify(after) === JSON.stringify(withFolders(run.newTree, run.repo)))
        continue;
      expect(after).toEqual(withFolders(run.oldTree, run.repo));
    }
  });
});
