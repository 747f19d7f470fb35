/**
 * Ctrl-C during verification must not leave a worktree behind. Spawns a real child process
 * (the built module in dist/, which `npm test` builds first) and interrupts it mid-run.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { makeRepo, processGone, worktreeCount } from "./git-repo.js";

const builtVerify = resolve("dist/verify/index.js");

async function waitFor(file: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file) || readFileSync(file, "utf8").trim() === "") {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

describe("verifier interrupted", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`removes the worktree and kills the test command on ${signal}`, async () => {
      expect(existsSync(builtVerify), "run `npm run build` first (npm test does)").toBe(true);
      const root = makeRepo({ "README.md": "hello\n" });
      const scratch = mkdtempSync(join(tmpdir(), "hierocode-interrupt-"));
      const started = join(scratch, "started");
      const script = join(scratch, "child.mjs");
      writeFileSync(
        script,
        [
          `import { createVerifier } from ${JSON.stringify(pathToFileURL(builtVerify).href)};`,
          `const verifier = createVerifier({ repoRoot: ${JSON.stringify(root)}, timeoutSeconds: 60,`,
          `  command: ${JSON.stringify(`sleep 60 & echo "$PWD $!" > ${started}; wait`)} });`,
          "await verifier.baseline();",
        ].join("\n"),
      );
      const child = spawn(process.execPath, [script], { stdio: "ignore" });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
        child.on("exit", (code, exitSignal) => done({ code, signal: exitSignal })),
      );
      await waitFor(started);
      const [worktreePath, sleepPid] = readFileSync(started, "utf8").trim().split(" ");
      expect(worktreePath && existsSync(worktreePath)).toBe(true);
      expect(worktreeCount(root)).toBe(1); // a temporary clone: no entry in the user's repository

      child.kill(signal);
      const result = await exited;
      expect(result.signal).toBe(signal);
      expect(worktreeCount(root)).toBe(1);
      expect(existsSync(worktreePath ?? "")).toBe(false);
      expect(await processGone(Number(sleepPid))).toBe(true);
    });
  }
});
