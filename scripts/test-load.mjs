#!/usr/bin/env node
/**
 * `npm run test:load [-- N]`: the whole Vitest suite N times in a row (default 3, or
 * TEST_LOAD_RUNS) while two other CPU-heavy processes run alongside — each hashes 1 MiB buffers
 * with SHA-256 in a loop (real work, not sleep) — started before the first run and killed (by
 * their pid) after the last. Shows Vitest's dot reporter while a run works, then prints the
 * run's passed / failed / skipped counts, the failed tests' names and its wall time; checks that the entries of os.tmpdir() as the suite sees
 * it did not grow (the suite runs with TMPDIR set to a folder of this script's own, empty at the
 * start, so other programs on the machine cannot disturb the count). Builds first (tests spawn
 * the built CLI). Exit 0 when every run passed and nothing was left in the temp folder; 1
 * otherwise; 2 for a bad argument.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const argument = process.argv[2] ?? process.env.TEST_LOAD_RUNS ?? "3";
const runs = Number(argument);
if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
  process.stderr.write(`error: the number of runs must be a whole number from 1 to 100, got "${argument}"\n`);
  process.stderr.write("hint: npm run test:load -- 3\n");
  process.exit(2);
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const build = spawnSync(npm, ["run", "build"], { stdio: "inherit" });
if (build.status !== 0) {
  process.stderr.write("error: npm run build failed\n");
  process.exit(1);
}

// The CPU-heavy neighbours: real hashing, as long as they live.
const burn =
  "const {createHash}=require('node:crypto');const b=Buffer.alloc(1<<20,7);for(;;){createHash('sha256').update(b).digest()}";
const neighbours = [0, 1].map(() => spawn(process.execPath, ["-e", burn], { stdio: "ignore" }));
const stopNeighbours = () => {
  for (const child of neighbours)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
};
process.on("exit", stopNeighbours);
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    stopNeighbours();
    process.exit(130);
  });
process.stdout.write(`load: 2 hashing processes (pids ${neighbours.map((child) => child.pid).join(", ")})\n`);

const outerTmp = tmpdir();
const outerBefore = readdirSync(outerTmp).length;
const suiteTmp = mkdtempSync(join(outerTmp, "hierocode-test-load-"));
// Others may pass through (not list it): the PostgreSQL tests' server runs as another user.
chmodSync(suiteTmp, 0o711);
const report = join(outerTmp, `hierocode-test-load-${process.pid}.json`);

/** One suite run: resolves with its counts (from Vitest's JSON report) and wall time. */
function runSuite() {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        "node_modules/vitest/vitest.mjs",
        "run",
        "--reporter=dot",
        "--reporter=json",
        `--outputFile.json=${report}`,
      ],
      { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, TMPDIR: suiteTmp } },
    );
    child.on("close", (code) => {
      const seconds = (performance.now() - started) / 1000;
      let counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
      try {
        const json = JSON.parse(readFileSync(report, "utf8"));
        const failures = [];
        let unloaded = 0;
        for (const file of json.testResults ?? []) {
          for (const test of file.assertionResults ?? [])
            if (test.status === "failed")
              failures.push(`${file.name.replace(`${process.cwd()}/`, "")} > ${test.fullName}`);
          // a file that failed to load has no assertions but a message
          if ((file.assertionResults ?? []).length === 0 && file.status === "failed" && ++unloaded)
            failures.push(
              `${file.name.replace(`${process.cwd()}/`, "")}: ${String(file.message).split("\n")[0]}`,
            );
        }
        counts = {
          passed: json.numPassedTests ?? 0,
          failed: (json.numFailedTests ?? 0) + unloaded,
          skipped: (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0),
          failures,
        };
      } catch {
        counts.failed = 1;
        counts.failures = ["no JSON report: Vitest did not finish"];
      } finally {
        rmSync(report, { force: true });
      }
      resolve({ code, seconds, ...counts });
    });
  });
}

let failedRuns = 0;
let grew = false;
try {
  for (let index = 1; index <= runs; index++) {
    const before = readdirSync(suiteTmp).filter(
      (name) => !name.startsWith("hierocode-test-llama-cpp-"),
    ).length;
    const result = await runSuite();
    // hierocode-test-llama-cpp-*: the llama_cpp tests' runtime cache, kept beside the run folder on purpose
    const left = readdirSync(suiteTmp).filter((name) => !name.startsWith("hierocode-test-llama-cpp-"));
    const ok = result.code === 0 && result.failed === 0;
    if (!ok) failedRuns++;
    process.stdout.write(
      `run ${index}/${runs}: ${ok ? "PASS" : "FAIL"} — ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped in ${result.seconds.toFixed(1)} s (vitest exit ${result.code}); temp entries ${before} → ${left.length}\n`,
    );
    for (const failure of result.failures) process.stdout.write(`  failed: ${failure}\n`);
    if (left.length > before) {
      grew = true;
      process.stdout.write(
        `  left in the temp folder: ${left.slice(0, 10).join(", ")}${left.length > 10 ? ", …" : ""}\n`,
      );
      for (const name of left) rmSync(join(suiteTmp, name), { recursive: true, force: true });
    }
  }
} finally {
  stopNeighbours();
  rmSync(suiteTmp, { recursive: true, force: true });
}
const outerAfter = readdirSync(outerTmp).length;
process.stdout.write(
  `${runs - failedRuns}/${runs} run(s) passed; the suite's temp folder ${grew ? "GREW" : "did not grow"}; ${outerTmp} itself: ${outerBefore} → ${outerAfter} entries (shared with other programs: for information)\n`,
);
process.exit(failedRuns > 0 || grew ? 1 : 0);
