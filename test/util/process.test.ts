import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runProcess, stopLineStream, streamProcessLines } from "../../src/util/process.js";
import { isProcessAlive, waitForProcessExit } from "../kit/fake-cli.js";

const node = process.execPath;
const env = { PATH: process.env.PATH };
const scratch = mkdtempSync(join(tmpdir(), "hierocode-process-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A node script that starts a hanging grandchild, prints its pid, then hangs itself. */
function treeScript(ignoreTerm: boolean): string {
  const trap = ignoreTerm ? "process.on('SIGTERM',()=>{});" : "";
  return `${trap}const c=require('node:child_process').spawn(process.execPath,['-e',"${trap}setInterval(()=>{},1e9)"],{stdio:'ignore'});console.log(c.pid);setInterval(()=>{},1e9);`;
}

function firstLinePid(stdout: string): number {
  return Number.parseInt(stdout.split("\n")[0] ?? "", 10);
}

describe("runProcess", () => {
  it("passes input on stdin, captures stdout, stderr and the exit code", async () => {
    const result = await runProcess({
      command: node,
      args: [
        "-e",
        "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{process.stdout.write(s.toUpperCase());process.stderr.write('warn');process.exit(3)})",
      ],
      env,
      input: "hello",
      timeoutMs: 10_000,
    });
    expect(result).toMatchObject({
      stdout: "HELLO",
      stderr: "warn",
      exitCode: 3,
      signal: null,
      timedOut: false,
      aborted: false,
      notFound: false,
    });
  });

  it("closes stdin when there is no input, so a reader sees end-of-file at once", async () => {
    const result = await runProcess({ command: "cat", args: [], env, timeoutMs: 5_000 });
    expect(result).toMatchObject({ stdout: "", exitCode: 0, timedOut: false });
  });

  it("moves a 300 KB input through stdin intact", async () => {
    const input = "x".repeat(300 * 1024);
    const result = await runProcess({ command: "wc", args: ["-c"], env, input, timeoutMs: 10_000 });
    expect(result.stdout.trim()).toBe(String(300 * 1024));
  });

  it("reports a missing executable as notFound, not as a crash", async () => {
    const result = await runProcess({ command: "hierocode-no-such-binary", args: [], env, timeoutMs: 5_000 });
    expect(result.notFound).toBe(true);
    expect(result.exitCode).toBeNull();
  });

  it("reports a missing working directory distinctly from a missing executable", async () => {
    const result = await runProcess({
      command: node,
      args: ["-v"],
      cwd: join(scratch, "nope"),
      env,
      timeoutMs: 5_000,
    });
    expect(result.notFound).toBe(false);
    expect(result.spawnError?.code).toBe("ENOCWD");
  });

  it("runs in the given cwd", async () => {
    const result = await runProcess({
      command: node,
      args: ["-e", "console.log(process.cwd())"],
      cwd: scratch,
      env,
      timeoutMs: 5_000,
    });
    expect(result.stdout.trim()).toBe(scratch);
  });

  it("on timeout kills the whole process tree", async () => {
    const result = await runProcess({ command: node, args: ["-e", treeScript(false)], env, timeoutMs: 700 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGTERM");
    const grandchild = firstLinePid(result.stdout);
    expect(grandchild).toBeGreaterThan(0);
    expect(await waitForProcessExit(grandchild)).toBe(true);
    expect(isProcessAlive(result.pid ?? 0)).toBe(false);
  });

  it("escalates to SIGKILL when the tree ignores SIGTERM", async () => {
    const result = await runProcess({
      command: node,
      args: ["-e", treeScript(true)],
      env,
      timeoutMs: 700,
      killGraceMs: 200,
    });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGKILL");
    expect(await waitForProcessExit(firstLinePid(result.stdout))).toBe(true);
  });

  it("on abort kills the tree and says so", async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const running = runProcess({
      command: node,
      args: ["-e", treeScript(false)],
      env,
      timeoutMs: 20_000,
      signal: controller.signal,
      onStdoutLine: (line) => {
        lines.push(line);
        controller.abort();
      },
    });
    const result = await running;
    expect(result).toMatchObject({ aborted: true, timedOut: false });
    expect(await waitForProcessExit(Number(lines[0]))).toBe(true);
  });

  it("does not start anything when the signal is already aborted", async () => {
    const result = await runProcess({
      command: node,
      args: ["-v"],
      env,
      timeoutMs: 5_000,
      signal: AbortSignal.abort(),
    });
    expect(result).toMatchObject({ aborted: true, pid: undefined });
  });

  it("delivers stdout line by line, including a last line without a newline", async () => {
    const lines: string[] = [];
    await runProcess({
      command: node,
      args: ["-e", "process.stdout.write('a\\r\\nb\\nc')"],
      env,
      timeoutMs: 5_000,
      onStdoutLine: (line) => lines.push(line),
    });
    expect(lines).toEqual(["a", "b", "c"]);
  });

  it("bounds stdout at maxOutputBytes", async () => {
    const result = await runProcess({
      command: node,
      args: ["-e", "process.stdout.write('y'.repeat(10000))"],
      env,
      timeoutMs: 5_000,
      maxOutputBytes: 100,
    });
    expect(result.stdout).toHaveLength(100);
    expect(result.stdoutTruncated).toBe(true);
  });

  it("returns when the child exits even if a grandchild still holds stdout, and kills the straggler", async () => {
    const script =
      "const c=require('node:child_process').spawn(process.execPath,['-e','setInterval(()=>{},1e9)'],{stdio:['ignore','inherit','inherit']});console.log(c.pid);process.exit(0)";
    const result = await runProcess({ command: node, args: ["-e", script], env, timeoutMs: 10_000 });
    expect(result.exitCode).toBe(0);
    expect(result.timedOut).toBe(false);
    expect(await waitForProcessExit(firstLinePid(result.stdout))).toBe(true);
  });
});

describe("streamProcessLines", () => {
  it("yields lines and returns the process result", async () => {
    const stream = streamProcessLines({
      command: node,
      args: ["-e", "console.log('one');console.log('two')"],
      env,
      timeoutMs: 5_000,
    });
    const lines: string[] = [];
    let next = await stream.next();
    while (!next.done) {
      lines.push(next.value);
      next = await stream.next();
    }
    expect(lines).toEqual(["one", "two"]);
    expect(next.value.exitCode).toBe(0);
  });

  it("kills the tree when the consumer stops early", async () => {
    const stream = streamProcessLines({
      command: node,
      args: ["-e", treeScript(false)],
      env,
      timeoutMs: 20_000,
    });
    const first = await stream.next();
    expect(first.done).toBe(false);
    await stopLineStream(stream);
    expect(await waitForProcessExit(Number(first.value))).toBe(true);
  });
});
