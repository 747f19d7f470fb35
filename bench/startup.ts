/**
 * Start-up benchmark (`npm run bench:startup`): what every command pays before it does its work,
 * measured as whole processes of the BUILT CLI (`dist/cli/bin.js`, run `npm run build` first),
 * next to references measured in the same run, paired round by round, medians of the per-round
 * ratios.
 *
 * | measured                        | reference                                          | goal   |
 * |---------------------------------|----------------------------------------------------|--------|
 * | `hierocode --version`           | `node -e 0`                                        | ≤ 2.5× |
 * | `hierocode --help`              | `node -e 0`                                        | —      |
 * | `hierocode doctor`              | a bare client replaying doctor's HTTP requests     | —      |
 * | `hierocode run` (1 unit, 0 ms)  | a bare client replaying the run's HTTP requests    | —      |
 * | `hierocode run` (16 units)      | ideal: ceil(16/4) × (300 ms draft + 100 ms review) | ≤ 1.2× |
 *
 * On a loaded machine even the bare client misses the ideal; when its median is above 1.05× the
 * ideal, the 16-unit goal is checked against the bare client's time instead (≤ 1.2×, paired
 * median), and the output says so.
 *
 * The fake model servers (test/kit, real wire protocols) run in their own process
 * (bench/fakes-process.ts); the bare client (bench/bare-client.mjs) is Node's fetch and nothing
 * else, replaying the exact requests the CLI sent, with the CLI's structure (probes and plan first,
 * then each unit's draft → review chain, 4 at a time). Exits 1 when a goal is missed.
 *
 * BENCH_STARTUP_ROUNDS (default 7, at least 5) sets the number of paired rounds.
 */
import { spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { benchRepo, fakeProvidersConfig, startFakes } from "./fakes.js";
import { median, replayOf } from "./replay.js";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "dist", "cli", "bin.js");
const rounds = Math.max(5, Number.parseInt(process.env.BENCH_STARTUP_ROUNDS ?? "7", 10) || 7);
const units = 16;
const workers = 4;
const draftMs = 300;
const reviewMs = 100;
const ideal = Math.ceil(units / workers) * (draftMs + reviewMs);
/** The bare client within this factor of the ideal: the machine is quiet enough for the ideal goal. */
const quietEnough = 1.05;

if (!existsSync(cli)) {
  process.stderr.write("error: dist/cli/bin.js is missing\nhint: run npm run build first\n");
  process.exit(2);
}

// ---------------------------------------------------------------- the scenario

const accept = { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] };
const fileOf = (index: number) => `src/mod${Math.floor(index / 8)}/file${index}.ts`;

function plan(ids: number[]) {
  return {
    summary: "bench",
    units: ids.map((index) => ({
      id: `u${index}`,
      goal: `bump value${index}`,
      target_files: [fileOf(index)],
      new_files: [],
      context_files: [],
      acceptance: ["value bumped"],
      depends_on: [],
      est_input_tokens: 200,
      complexity: 1,
    })),
  };
}

const trivialUnit = 16; // the 1-unit run edits file16, with instant models
const draft = (index: number) =>
  `${fileOf(index)}\n\`\`\`\nexport const value${index} = ${index + 1};\n\`\`\`\n`;

const scripts = {
  anthropic: {
    rules: [
      { system: "You are the planner", user: "trivial change", reply: { json: plan([trivialUnit]) } },
      { system: "You are the planner", reply: { json: plan(Array.from({ length: units }, (_, i) => i)) } },
    ],
  },
  ollama: {
    rules: [
      { user: `Unit u${trivialUnit}:`, reply: { text: draft(trivialUnit) } },
      ...Array.from({ length: units }, (_, index) => ({
        user: `Unit u${index}:`,
        reply: { text: draft(index) },
        delayMs: draftMs,
      })),
    ],
  },
  openai: {
    rules: [
      { user: `Unit u${trivialUnit}:`, reply: { json: accept } },
      { user: "Unit u", reply: { json: accept }, delayMs: reviewMs },
    ],
    default: { json: accept },
  },
};

const { base, repo, home, env } = benchRepo(
  "hc-bench-startup-",
  Object.fromEntries(
    Array.from({ length: units + 1 }, (_, index) => [
      fileOf(index),
      `export const value${index} = ${index};\n`,
    ]),
  ),
);

// ---------------------------------------------------------------- processes

interface Timed {
  ms: number;
  stdout: string;
  stderr: string;
}

/** Spawns a whole process and times it from spawn to exit; a non-zero exit stops the bench. */
function timed(command: string, args: string[], cwd: string): Promise<Timed> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`${command} ${args.join(" ")} exited ${code}\n${stdout}\n${stderr}`));
      else resolvePromise({ ms, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------- the run

const fakes = await startFakes(scripts, base);
try {
  const config = stringify({
    ...fakeProvidersConfig(fakes.urls, { maxRetries: 0 }),
    policy: { max_local_workers: workers, warn_before_escalation: false },
  });
  writeFileSync(join(home, ".hierocode.yaml"), config);

  const node = process.execPath;
  // BENCH_STARTUP_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to every CLI process.
  const nodeFlags = (process.env.BENCH_STARTUP_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const hc = (...args: string[]) => [...nodeFlags, cli, ...args];
  const runTrivial = hc("run", "-t", "trivial change", "--refresh-plan", "--no-verify");
  const runSixteen = hc("run", "-t", "bump every value", "--refresh-plan", "--no-verify");

  // Warm-up round (not timed): file caches, the repository index, and the requests to replay.
  await timed(node, ["-e", "0"], repo);
  await timed(node, hc("--version"), repo);
  await fakes.dump();
  await timed(node, hc("doctor"), repo);
  const doctorReplay = replayOf(await fakes.dump(), workers);
  const trivial = await timed(node, runTrivial, repo);
  const trivialRequests = await fakes.dump();
  const sixteen = await timed(node, runSixteen, repo);
  const sixteenRequests = await fakes.dump();
  const accepted = (text: string) => (text.match(/^\+\+\+ b\//gm) ?? []).length;
  if (accepted(trivial.stdout) !== 1 || accepted(sixteen.stdout) !== units)
    throw new Error(
      `expected 1 and ${units} diffs, got ${accepted(trivial.stdout)} and ${accepted(sixteen.stdout)}\n${sixteen.stdout}\n${sixteen.stderr}`,
    );
  const replays = {
    doctor: doctorReplay,
    trivial: replayOf(trivialRequests, workers),
    sixteen: replayOf(sixteenRequests, workers),
  };
  const replayFiles: Record<string, string> = {};
  for (const [name, replay] of Object.entries(replays)) {
    replayFiles[name] = join(base, `replay-${name}.json`);
    writeFileSync(replayFiles[name]!, JSON.stringify(replay));
  }
  const bare = (name: string) => [join(root, "bench", "bare-client.mjs"), replayFiles[name]!];

  const jobs: Array<{ name: string; args: string[] }> = [
    { name: "node -e 0", args: ["-e", "0"] },
    { name: "--version", args: hc("--version") },
    { name: "--help", args: hc("--help") },
    { name: "doctor", args: hc("doctor") },
    { name: "bare doctor", args: bare("doctor") },
    { name: "run 1 unit", args: runTrivial },
    { name: "bare run 1 unit", args: bare("trivial") },
    { name: "run 16 units", args: runSixteen },
    { name: "bare run 16 units", args: bare("sixteen") },
  ];
  const times = new Map<string, number[]>(jobs.map((job) => [job.name, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no job always runs right after a heavy one.
    for (let offset = 0; offset < jobs.length; offset++) {
      const job = jobs[(round + offset) % jobs.length]!;
      const result = await timed(node, job.args, repo);
      times.get(job.name)!.push(result.ms);
      await fakes.dump();
    }
  }

  const of = (name: string) => times.get(name)!;
  const pairedRatio = (a: string, b: string) => median(of(a).map((value, index) => value / of(b)[index]!));
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const rows: Array<{ what: string; measured: string; reference: string; ratio: number; goal?: number }> = [
    {
      what: "--version",
      measured: "--version",
      reference: "node -e 0",
      ratio: pairedRatio("--version", "node -e 0"),
      goal: 2.5,
    },
    { what: "--help", measured: "--help", reference: "node -e 0", ratio: pairedRatio("--help", "node -e 0") },
    {
      what: "doctor (3 roles, fake servers)",
      measured: "doctor",
      reference: "bare doctor",
      ratio: pairedRatio("doctor", "bare doctor"),
    },
    {
      what: "run, 1 unit, instant models",
      measured: "run 1 unit",
      reference: "bare run 1 unit",
      ratio: pairedRatio("run 1 unit", "bare run 1 unit"),
    },
    {
      what: "run, 16 units",
      measured: "run 16 units",
      reference: "bare run 16 units",
      ratio: pairedRatio("run 16 units", "bare run 16 units"),
    },
  ];
  console.log(`## bench:startup — ${rounds} paired rounds, whole processes, Node ${process.versions.node}\n`);
  console.log("| what | median | reference | reference median | paired ratio (median) | goal |");
  console.log("|---|---|---|---|---|---|");
  for (const row of rows)
    console.log(
      `| ${row.what} | ${ms(median(of(row.measured)))} | ${row.reference} | ${ms(median(of(row.reference)))} | ${row.ratio.toFixed(2)}× | ${row.goal ? `≤ ${row.goal}×` : "—"} |`,
    );
  const sixteenVsIdeal = median(of("run 16 units")) / ideal;
  const bareVsIdeal = median(of("bare run 16 units")) / ideal;
  const sixteenVsBare = pairedRatio("run 16 units", "bare run 16 units");
  // On a loaded machine even the bare client misses the ideal: the bare client's time then stands
  // in for the ideal (same 1.2× bound, against a larger reference), and the output says so.
  const loaded = bareVsIdeal > quietEnough;
  console.log(
    `| run, 16 units (${draftMs} ms draft + ${reviewMs} ms review, ${workers} workers) | ${ms(median(of("run 16 units")))} | ideal ceil(${units}/${workers})×${draftMs + reviewMs} ms | ${ms(ideal)} | ${sixteenVsIdeal.toFixed(2)}× (bare client: ${bareVsIdeal.toFixed(2)}×) | ≤ 1.2×${loaded ? " (loaded: see below)" : ""} |`,
  );
  if (loaded)
    console.log(
      `\nthe machine is loaded: the bare client itself took ${bareVsIdeal.toFixed(2)}× the ideal (> ${quietEnough}×), so the 16-unit goal is checked against the bare client instead: ${sixteenVsBare.toFixed(2)}× (paired median) ≤ 1.2×`,
    );
  console.log(
    `\nrequests replayed: doctor ${replays.doctor.phases.flatMap((p) => p.chains).flat().length}, run 1 unit ${trivialRequests.length}, run 16 units ${sixteenRequests.length}`,
  );
  const failures: string[] = [];
  for (const row of rows)
    if (row.goal !== undefined && row.ratio > row.goal)
      failures.push(`${row.what}: ${row.ratio.toFixed(2)}× > ${row.goal}×`);
  if (!loaded && sixteenVsIdeal > 1.2)
    failures.push(`run, 16 units: ${sixteenVsIdeal.toFixed(2)}× ideal > 1.2×`);
  if (loaded && sixteenVsBare > 1.2)
    failures.push(`run, 16 units: ${sixteenVsBare.toFixed(2)}× the bare client > 1.2× (machine loaded)`);
  console.log(
    failures.length ? `\nFAIL\n${failures.map((line) => `- ${line}`).join("\n")}` : "\nPASS: every goal met",
  );
  process.exitCode = failures.length ? 1 : 0;
} finally {
  await fakes.close();
  rmSync(base, { recursive: true, force: true });
}
