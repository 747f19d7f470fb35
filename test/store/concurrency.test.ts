/**
 * SQLite under concurrency: many hierocode processes starting at once on a fresh state folder
 * must not fail with "database is locked" (the busy timeout comes before any locking statement).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const builtCli = join(import.meta.dirname, "..", "..", "dist", "cli", "main.js");
const folders: string[] = [];

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtCli, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    child.on("close", (code) => resolve({ code, err }));
  });
}

describe("state database under concurrency", () => {
  it("20 simultaneous commands on a fresh state folder: zero lock errors", async () => {
    const root = mkdtempSync(join(tmpdir(), "hc-sqlite-"));
    folders.push(root);
    const env = {
      HOME: root,
      HIEROCODE_STATE_DIR: join(root, "state"),
      HIEROCODE_CACHE_DIR: join(root, "cache"),
      NO_COLOR: "1",
    };
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        runCli(index % 2 === 0 ? ["cache", "clear"] : ["usage", "--json"], env),
      ),
    );
    const failures = runs.filter((run) => run.code !== 0 || /locked|busy/i.test(run.err));
    expect(failures.map((run) => run.err)).toEqual([]);
  }, 60_000);

  it("20 processes opening a fresh state database at the same instant: zero lock errors", async () => {
    const root = mkdtempSync(join(tmpdir(), "hc-sqlite-"));
    folders.push(root);
    const dist = join(import.meta.dirname, "..", "..", "dist");
    const at = Date.now() + 1500;
    // Each child loads the modules first, then waits for the same instant before the first statement.
    const script = `
      const { openStateDatabase } = await import(${JSON.stringify(join(dist, "store", "database.js"))});
      const { planCache } = await import(${JSON.stringify(join(dist, "store", "plan-cache.js"))});
      const { usageLedger } = await import(${JSON.stringify(join(dist, "store", "usage-ledger.js"))});
      while (Date.now() < ${at}) {}
      const db = openStateDatabase();
      planCache(db).count();
      usageLedger(db);
    `;
    const runs = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<{ code: number | null; err: string }>((resolve) => {
            const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
              env: { ...process.env, HIEROCODE_STATE_DIR: join(root, "state") },
              stdio: ["ignore", "ignore", "pipe"],
            });
            let err = "";
            child.stderr.on("data", (chunk: Buffer) => {
              err += chunk.toString("utf8");
            });
            child.on("close", (code) => resolve({ code, err }));
          }),
      ),
    );
    const failures = runs.filter((run) => run.code !== 0 || /locked|busy/i.test(run.err));
    expect(failures.map((run) => run.err.split("\n").find((line) => /Error/.test(line)))).toEqual([]);
  }, 60_000);
});
