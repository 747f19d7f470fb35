/**
 * The verify sandbox isolates: dependency folders are copies, git inside cannot change the
 * user's config, refs or tags, detached children die at the timeout and the wait ends there,
 * a timed-out run is never "verified" or "already failing", a killed run's sandbox and
 * processes are cleaned by the next command, and non-UTF-8 file names are copied exactly.
 */
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { Verifier, VerifyOutcome } from "../../src/pipeline/hooks.js";
import { cleanStaleSandboxes, createVerifier } from "../../src/verify/index.js";
import { git, makeRepo, processGone, worktreeCount } from "./git-repo.js";

let verifier: Verifier | null = null;
const folders: string[] = [];
afterEach(async () => {
  await verifier?.dispose();
  verifier = null;
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function repo(files: Record<string, string> = { "README.md": "hello\n" }): string {
  const root = makeRepo(files);
  folders.push(root);
  return root;
}

function scratch(): string {
  const folder = mkdtempSync(join(tmpdir(), "hc-sandbox-test-"));
  folders.push(folder);
  return folder;
}

describe("verify sandbox isolation", () => {
  it("a test deleting or editing a dependency changes only the sandbox's copy", async () => {
    const root = repo({ ".gitignore": "node_modules\n", "README.md": "x\n" });
    mkdirSync(join(root, "node_modules", "dep"), { recursive: true });
    writeFileSync(join(root, "node_modules", "dep", "index.js"), "export default 1;\n");
    writeFileSync(join(root, "node_modules", "keep.js"), "original\n");
    verifier = createVerifier({
      repoRoot: root,
      command:
        "test -f node_modules/dep/index.js && rm -rf node_modules/dep && echo changed > node_modules/keep.js",
      timeoutSeconds: 20,
    });
    const outcome = await verifier.baseline();
    expect(outcome.ok, outcome.report).toBe(true);
    expect(existsSync(join(root, "node_modules", "dep", "index.js"))).toBe(true);
    expect(readFileSync(join(root, "node_modules", "keep.js"), "utf8")).toBe("original\n");
  });

  it("git inside cannot change the user's config, refs, tags or global config", async () => {
    const root = repo();
    const home = scratch();
    writeFileSync(join(home, ".gitconfig"), "[user]\n\tname = Real User\n");
    const configBefore = readFileSync(join(root, ".git", "config"), "utf8");
    const refsBefore = git(root, "show-ref");
    verifier = createVerifier({
      repoRoot: root,
      command: [
        "git config user.name Evil",
        "git config --global user.name Evil",
        "git tag evil-tag",
        "git branch evil-branch",
        "git -c user.email=e@x -c user.name=E commit -q --allow-empty -m evil",
        "git push origin HEAD:refs/heads/pushed 2>/dev/null || true",
      ].join(" && "),
      timeoutSeconds: 20,
      env: { HOME: home, GIT_CONFIG_GLOBAL: join(home, ".gitconfig") },
    });
    const outcome = await verifier.baseline();
    expect(outcome.ok, outcome.report).toBe(true);
    expect(readFileSync(join(root, ".git", "config"), "utf8")).toBe(configBefore);
    expect(git(root, "show-ref")).toBe(refsBefore);
    expect(git(root, "tag", "--list")).toBe("");
    expect(readFileSync(join(home, ".gitconfig"), "utf8")).toBe("[user]\n\tname = Real User\n");
    expect(worktreeCount(root)).toBe(1);
  });

  it("a detached child (setsid) is killed at the timeout and the wait ends at the limit", async () => {
    const root = repo();
    const pidFile = join(scratch(), "pid");
    verifier = createVerifier({
      repoRoot: root,
      command: `setsid sleep 40 > /dev/null 2>&1 & echo $! > ${pidFile}; setsid sleep 41 & sleep 42`,
      timeoutSeconds: 1,
    });
    const started = Date.now();
    const outcome = await verifier.baseline();
    const elapsed = Date.now() - started;
    expect(outcome.timedOut).toBe(true);
    expect(outcome.ok).toBe(false);
    // 1 s limit + 2 s grace before SIGKILL + slack for a loaded machine
    expect(elapsed).toBeLessThan(8_000);
    expect(await processGone(Number(readFileSync(pidFile, "utf8").trim()))).toBe(true);
  }, 15_000);

  it("a timed-out run is never verified nor 'already failing'", () => {
    verifier = createVerifier({ repoRoot: repo(), command: "npm test", timeoutSeconds: 3 });
    const outcome = (patch: Partial<VerifyOutcome>): VerifyOutcome => ({
      ok: false,
      command: "npm test",
      exitCode: null,
      timedOut: false,
      durationMs: 1,
      report: "",
      failingTests: [],
      ...patch,
    });
    const timedOut = outcome({ timedOut: true });
    // baseline timed out, the run after the drafts timed out too
    expect(verifier.newFailures(timedOut, timedOut)).toEqual(["npm test (timed out after 3s)"]);
    // baseline failed the same way: a timeout is still not "as before"
    expect(verifier.newFailures(timedOut, outcome({ exitCode: 1 }))).toHaveLength(1);
    // baseline timed out, the run after fails: nothing to compare with, so it is new
    expect(verifier.newFailures(outcome({ exitCode: 1 }), timedOut)).toHaveLength(1);
    expect(verifier.newFailures(outcome({ exitCode: 1, failingTests: ["t1"] }), timedOut)).toEqual(["t1"]);
  });

  it("non-UTF-8 file names are copied byte for byte", async () => {
    const root = repo();
    const name = Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9]), Buffer.from(".txt")]);
    writeFileSync(name, "latin-1 name\n");
    verifier = createVerifier({
      repoRoot: root,
      command: "test \"$(cat \"$(printf 'caf\\351.txt')\")\" = 'latin-1 name'",
      timeoutSeconds: 20,
    });
    const outcome = await verifier.baseline();
    expect(outcome.ok, outcome.report).toBe(true);
  });
});

describe("after a SIGKILL during verification", () => {
  const builtVerify = resolve("dist/verify/index.js");

  it("the next command removes the sandbox and the test's processes, detached ones included", async () => {
    expect(existsSync(builtVerify), "run `npm run build` first (npm test does)").toBe(true);
    const root = repo();
    const folder = scratch();
    const started = join(folder, "started");
    const script = join(folder, "child.mjs");
    writeFileSync(
      script,
      [
        `import { createVerifier } from ${JSON.stringify(pathToFileURL(builtVerify).href)};`,
        `const verifier = createVerifier({ repoRoot: ${JSON.stringify(root)}, timeoutSeconds: 60,`,
        `  command: ${JSON.stringify(`setsid sleep 60 > /dev/null 2>&1 & echo "$PWD $!" > ${started}; wait`)} });`,
        "await verifier.baseline();",
      ].join("\n"),
    );
    const child = spawn(process.execPath, [script], { stdio: "ignore" });
    const exited = new Promise((done) => child.on("exit", done));
    const deadline = Date.now() + 15_000;
    while (!existsSync(started) || readFileSync(started, "utf8").trim() === "") {
      if (Date.now() > deadline) throw new Error("the verify command did not start");
      await new Promise((done) => setTimeout(done, 25));
    }
    const [sandboxPath, sleepPid] = readFileSync(started, "utf8").trim().split(" ");
    child.kill("SIGKILL");
    await exited;
    // SIGKILL gives no chance to clean up: the sandbox and the detached sleep are still there.
    expect(existsSync(sandboxPath ?? "")).toBe(true);
    const cleaned = cleanStaleSandboxes(root);
    expect(cleaned.sandboxes).toBeGreaterThanOrEqual(1);
    expect(existsSync(sandboxPath ?? "")).toBe(false);
    expect(await processGone(Number(sleepPid))).toBe(true);
    expect(worktreeCount(root)).toBe(1);
    expect(readdirSync(tmpdir()).some((name) => sandboxPath?.includes(name))).toBe(false);
  }, 30_000);
});
