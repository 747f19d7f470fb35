/**
 * REPL start-up benchmark (`npm run bench:repl`): the time from starting bare `hierocode` in a
 * pseudo-terminal until its first prompt is on the screen, next to `node -e 0` — as
 * `node -e "process.stdout.write('ready>')"`, timed the same way, until its text is on the screen —
 * through the same pseudo-terminal driver (test/kit/pty-drive.py --interactive) in the same round,
 * paired, medians of the per-round ratios. Uses the BUILT CLI (`npm run build` first).
 *
 * Goal: the first prompt within 3× `node -e 0` (the prompt must feel instant; commands load
 * their modules on first use). Exits 1 when missed. BENCH_REPL_ROUNDS (default 7, ≥ 5).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "dist", "cli", "bin.js");
const driver = join(root, "test", "kit", "pty-drive.py");
const rounds = Math.max(5, Number.parseInt(process.env.BENCH_REPL_ROUNDS ?? "7", 10) || 7);
const goal = 3;
const nodeZero = "process.stdout.write('ready>')";

if (!existsSync(cli)) {
  process.stderr.write("error: dist/cli/bin.js is missing\nhint: run npm run build first\n");
  process.exit(2);
}

const home = mkdtempSync(join(tmpdir(), "haco-bench-repl-"));
writeFileSync(
  join(home, ".hierocode.yaml"),
  "providers:\n  local: { type: ollama, base_url: 'http://127.0.0.1:9' }\nrouting:\n  planner: { provider: local, model: m }\n  drafter: { provider: local, model: m }\n",
);
const env = {
  PATH: process.env.PATH ?? "",
  HOME: home,
  HIEROCODE_STATE_DIR: join(home, "state"),
  HIEROCODE_CACHE_DIR: join(home, "cache"),
  NO_COLOR: "1",
};

/** ms from spawn until `until` appears in the terminal output (or the program exits, when null). */
function timeInPty(command: string[], until: string | null): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn("python3", [driver, "--interactive", "--", ...command], {
      cwd: home,
      env,
      stdio: ["pipe", "pipe", "inherit"],
    });
    let seen = "";
    let done = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no ${until ?? "exit"} within 20 s; output: ${seen}`));
    }, 20_000);
    child.stdout.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (!done && until !== null && seen.includes(until)) {
        done = true;
        const elapsed = performance.now() - started;
        child.stdin.end(); // hang up: the REPL leaves
        child.on("close", () => {
          clearTimeout(timer);
          resolvePromise(elapsed);
        });
      }
    });
    child.on("close", () => {
      if (until === null) {
        clearTimeout(timer);
        resolvePromise(performance.now() - started);
      }
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

try {
  const prompt: number[] = [];
  const reference: number[] = [];
  const ratios: number[] = [];
  const extra: number[] = [];
  await timeInPty([process.execPath, "-e", nodeZero], "ready>"); // warm the file cache
  await timeInPty([process.execPath, cli], "hierocode>");
  for (let round = 0; round < rounds; round += 1) {
    // Alternate the order so neither side always runs on a warmer machine.
    const pair =
      round % 2 === 0
        ? [
            await timeInPty([process.execPath, "-e", nodeZero], "ready>"),
            await timeInPty([process.execPath, cli], "hierocode>"),
          ]
        : [0, 0].map(() => 0);
    if (round % 2 === 1) {
      pair[1] = await timeInPty([process.execPath, cli], "hierocode>");
      pair[0] = await timeInPty([process.execPath, "-e", nodeZero], "ready>");
    }
    const [node, repl] = pair as [number, number];
    reference.push(node);
    prompt.push(repl);
    ratios.push(repl / node);
    extra.push(repl - node);
  }
  const ratio = median(ratios);
  process.stdout.write(
    `REPL first prompt: median ${median(prompt).toFixed(0)} ms · node -e 0 (same pty driver): median ${median(reference).toFixed(0)} ms · paired difference median +${median(extra).toFixed(0)} ms · ratio median ${ratio.toFixed(2)}× over ${rounds} paired rounds (goal ≤ ${goal}×) ${ratio <= goal ? "PASS" : "FAIL"}\n`,
  );
  process.exitCode = ratio <= goal ? 0 : 1;
} finally {
  rmSync(home, { recursive: true, force: true });
}
