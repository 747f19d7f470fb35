/**
 * `patch apply` killed with SIGKILL — at deterministic journal steps (HIEROCODE_FAULT_AT) and at
 * random instants — leaves a tree that the next command completes or rolls back: all-old or
 * all-new, never a mix, with no `.orig` or temp files, and the next command says what it did.
 */
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const builtCli = join(import.meta.dirname, "..", "..", "dist", "cli", "main.js");
const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const fileCount = 40;

interface Setup {
  repo: string;
  env: Record<string, string>;
  replyFile: string;
}

function setup(): Setup {
  const base = realpathSync(mkdtempSync(join(tmpdir(), "hc-kill-")));
  folders.push(base);
  const repo = join(base, "repo");
  mkdirSync(repo);
  execFileSync("git", ["init", "-q", repo]);
  let diff = "";
  for (let index = 0; index < fileCount; index++) {
    const dir = join(repo, "pkg", `d${index % 7}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `m${index}.py`), `VALUE = ${index}\n`);
    diff += `--- a/pkg/d${index % 7}/m${index}.py\n+++ b/pkg/d${index % 7}/m${index}.py\n@@ -1 +1 @@\n-VALUE = ${index}\n+VALUE = ${index} * 2\n`;
  }
  diff += "--- /dev/null\n+++ b/pkg/new/created.py\n@@ -0,0 +1 @@\n+CREATED = True\n";
  const replyFile = join(base, "reply.diff");
  writeFileSync(replyFile, diff);
  return {
    repo,
    replyFile,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: base,
      HIEROCODE_STATE_DIR: join(base, "state"),
      HIEROCODE_CACHE_DIR: join(base, "cache"),
      NO_COLOR: "1",
    },
  };
}

function run(
  args: string[],
  options: { cwd: string; env: Record<string, string>; killAfterMs?: number },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtCli, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const timer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => child.kill("SIGKILL"), options.killAfterMs);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

type TreeState = "old" | "new" | "mixed";

function treeState(repo: string): { state: TreeState; stray: string[] } {
  let changed = 0;
  for (let index = 0; index < fileCount; index++) {
    const text = readFileSync(join(repo, "pkg", `d${index % 7}`, `m${index}.py`), "utf8");
    if (text === `VALUE = ${index} * 2\n`) changed++;
    else expect(text).toBe(`VALUE = ${index}\n`);
  }
  const created = existsSync(join(repo, "pkg", "new", "created.py"));
  const stray = readdirSync(repo, { recursive: true, encoding: "utf8" }).filter((name) =>
    /\.tmp$|\.orig$/.test(name),
  );
  if (changed === 0 && !created && !existsSync(join(repo, "pkg", "new"))) return { state: "old", stray };
  if (changed === fileCount && created) return { state: "new", stray };
  return { state: "mixed", stray };
}

async function recoverAndCheck(setup: Setup): Promise<TreeState> {
  // The next command in the repository (here a dry run) finishes or undoes the killed write.
  const next = await run(["patch", "apply", "--dry-run", "--json", setup.replyFile], {
    cwd: setup.repo,
    env: setup.env,
  });
  const { state, stray } = treeState(setup.repo);
  expect(stray).toEqual([]);
  expect(state).not.toBe("mixed");
  if (/interrupted write/.test(next.stderr))
    expect(next.stderr).toMatch(state === "new" ? /was completed/ : /was rolled back/);
  const journal = join(setup.env.HIEROCODE_STATE_DIR as string, "journal");
  if (existsSync(journal))
    for (const repoFolder of readdirSync(journal)) expect(readdirSync(join(journal, repoFolder))).toEqual([]);
  return state;
}

const built = existsSync(builtCli);

describe.skipIf(!built)("patch apply killed with SIGKILL", () => {
  it("at deterministic journal steps: the next command completes or rolls back", async () => {
    // steps: 1 start + originals + 1 journal + 1 folder + temps (+1 created) + 1 commit + renames + 1 done
    const total = 1 + fileCount + 1 + 1 + (fileCount + 1) + 1 + (fileCount + 1) + 1;
    const commit = 1 + fileCount + 1 + 1 + (fileCount + 1) + 1;
    const points = [
      1,
      2,
      fileCount + 2,
      fileCount + 3,
      commit - 1,
      commit,
      commit + 1,
      commit + 20,
      total - 1,
      total,
    ];
    const seen = new Set<TreeState>();
    for (const point of points) {
      const current = setup();
      const killed = await run(["patch", "apply", current.replyFile], {
        cwd: current.repo,
        env: { ...current.env, HIEROCODE_FAULT_AT: String(point) },
      });
      expect(killed.signal, `step ${point}: ${killed.stderr}`).toBe("SIGKILL");
      seen.add(await recoverAndCheck(current));
    }
    expect([...seen].sort()).toEqual(["new", "old"]);
  }, 120_000);

  it("repo symbols / repo map, the next command after a kill mid-rename, recover before reading", async () => {
    const commit = 1 + fileCount + 1 + 1 + (fileCount + 1) + 1;
    for (const args of [
      ["repo", "symbols", "--json"],
      ["repo", "map"],
    ]) {
      const current = setup();
      const killed = await run(["patch", "apply", current.replyFile], {
        cwd: current.repo,
        env: { ...current.env, HIEROCODE_FAULT_AT: String(commit + 20) },
      });
      expect(killed.signal, killed.stderr).toBe("SIGKILL");
      expect(treeState(current.repo).state).toBe("mixed");
      const next = await run(args, { cwd: current.repo, env: current.env });
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/interrupted write .* was completed/);
      expect(treeState(current.repo)).toEqual({ state: "new", stray: [] });
    }
  }, 60_000);

  it("at random instants: always all-old or all-new", async () => {
    const seen: TreeState[] = [];
    for (let round = 0; round < 5; round++) {
      const current = setup();
      await run(["patch", "apply", current.replyFile], {
        cwd: current.repo,
        env: current.env,
        killAfterMs: 150 + Math.floor(Math.random() * 900),
      });
      seen.push(await recoverAndCheck(current));
    }
    expect(seen.every((state) => state === "old" || state === "new")).toBe(true);
  }, 120_000);
});
