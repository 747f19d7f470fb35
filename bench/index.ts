/**
 * `npm run bench:index`: the repository index against Universal Ctags, as whole processes, on
 * four real repositories (pylint, vite, tokio, hugo). Each round runs, in alternating order,
 * `hierocode repo symbols --json` cold (empty cache), ctags over exactly the files the index
 * parses, and `hierocode repo symbols --json` warm (same cache, nothing changed), each under
 * `/usr/bin/time` for CPU (user + sys), wall time and peak RSS. Ratios are taken per round
 * (paired: same load for both sides) and their median is judged against the goals:
 *
 * - cold CPU ≤ 3 × ctags CPU
 * - warm CPU < ctags CPU
 * - peak RSS (cold) ≤ 4 × the bytes of source indexed
 *
 * The process exits 1 when any goal is missed, 2 when the sources are missing. `node -e 0` and
 * `hierocode --version` are measured in the same rounds, to show what start-up alone costs; peak
 * RSS is also shown above `node -e 0`'s (the runtime alone is ~43 MB, more than 4× a small
 * source tree), but the goal is judged on the raw figure.
 * Symbol recall/precision against ctags per language is printed from the cold run's output.
 *
 * Sources: BENCH_INDEX_SOURCES (default /tmp/hierocode-bench-sources) holding checkouts named
 * pylint, vite, tokio, hugo (github.com/pylint-dev/pylint, vitejs/vite, tokio-rs/tokio,
 * gohugoio/hugo). BENCH_INDEX_ROUNDS (default 5), BENCH_INDEX_ONLY=substring.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { languageForPath } from "../src/repo/file-kinds.js";
import { walkRepo } from "../src/repo/walk.js";
import { type CategoryStats, type CtagsTag, compareWithCtags, type OurSymbolRow } from "./index-compare.js";

const projectRoot = new URL("..", import.meta.url).pathname;
// The binary users run (`hierocode`): it also turns on Node's module compile cache.
const cli = join(projectRoot, "dist", "cli", "bin.js");
const sources = process.env.BENCH_INDEX_SOURCES ?? join(tmpdir(), "hierocode-bench-sources");
const rounds = Math.max(1, Number(process.env.BENCH_INDEX_ROUNDS ?? "5"));
const only = process.env.BENCH_INDEX_ONLY;

const goals = { coldCpu: 3, warmCpu: 1, rssPerSourceByte: 4 };

const datasets = [
  { name: "pylint", url: "https://github.com/pylint-dev/pylint" },
  { name: "vite", url: "https://github.com/vitejs/vite" },
  { name: "tokio", url: "https://github.com/tokio-rs/tokio" },
  { name: "hugo", url: "https://github.com/gohugoio/hugo" },
].filter((dataset) => !only || dataset.name.includes(only));

/** One row of `repo symbols --json` (bare array before the `{ok, symbols}` contract, object after). */
interface OurJsonRow {
  path: string;
  name: string;
  kind: string;
  container: string | null;
  line: number;
  end_line: number;
}

interface Measure {
  wall: number;
  cpu: number;
  rssMb: number;
}

const work = mkdtempSync(join(tmpdir(), "hierocode-bench-index-"));

/** Runs a command under /usr/bin/time; stdout to `outFile` (or discarded). */
function timed(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; outFile?: string },
): Measure {
  const timesFile = join(work, "time.txt");
  const shell = `"$@" ${options.outFile ? `> '${options.outFile}'` : "> /dev/null"}`;
  const result = spawnSync(
    "/usr/bin/time",
    ["-o", timesFile, "-f", "%e %U %S %M", "sh", "-c", shell, "sh", command, ...args],
    { cwd: options.cwd, env: options.env ?? process.env, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr.slice(0, 800)}`);
  const [wall, user, system, kilobytes] = readFileSync(timesFile, "utf8")
    .trim()
    .split("\n")
    .pop()!
    .split(" ")
    .map(Number);
  return { wall: wall!, cpu: user! + system!, rssMb: kilobytes! / 1024 };
}

function ctagsArgs(listFile: string, outFile: string): string[] {
  return [
    "--output-format=json",
    "--fields=+n+e+K+Z",
    "--langmap=JavaScript:+.mjs.cjs",
    "--kinds-C=+p",
    "--kinds-C++=+p",
    "-L",
    listFile,
    "-f",
    outFile,
  ];
}

function readCtags(file: string): CtagsTag[] {
  const tags: CtagsTag[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    const tag = JSON.parse(line) as CtagsTag & { _type: string };
    if (tag._type === "tag") tags.push(tag);
  }
  return tags;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);

function main(): number {
  const missing = datasets.filter((dataset) => !existsSync(join(sources, dataset.name)));
  if (missing.length > 0) {
    console.error(
      `error: bench:index needs checkouts in ${sources}: ${missing.map((d) => d.name).join(", ")} missing`,
    );
    console.error(
      `hint: git clone --depth 1 ${missing.map((d) => d.url).join(" / ")} into that folder (or set BENCH_INDEX_SOURCES)`,
    );
    return 2;
  }
  execFileSync("npm", ["run", "build"], { cwd: projectRoot, stdio: ["ignore", "ignore", "inherit"] });
  const version = execFileSync("ctags", ["--version"], { encoding: "utf8" }).split("\n")[0];
  const timing = [
    "| dataset | source files | source MB | cold CPU ÷ ctags | warm CPU ÷ ctags | warm wall ÷ ctags | CPU s: cold / warm / ctags | wall s: cold / warm / ctags | peak RSS MB: cold / warm / ctags / node -e 0 | cold RSS ÷ source | (cold RSS − node -e 0) ÷ source |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const startup = [
    "| dataset | CPU s: node -e 0 / hierocode --version | warm CPU minus --version |",
    "|---|---:|---:|",
  ];
  const quality = [
    "| dataset | language | top-level recall / precision | classes recall / precision | methods recall / precision |",
    "|---|---|---:|---:|---:|",
  ];
  const verdicts: string[] = [];
  let failed = false;

  for (const dataset of datasets) {
    const root = join(sources, dataset.name);
    // `repo symbols --repo` takes the git repository containing the folder (README): a checkout
    // copied without its .git gets an empty repository (nothing committed, the tree untouched).
    if (!existsSync(join(root, ".git"))) execFileSync("git", ["init", "-q", root], { stdio: "ignore" });
    const walk = walkRepo(root);
    const parsed = walk.files.filter((file) => file.language && !file.junk);
    const sourceBytes = parsed.reduce((sum, file) => sum + file.size, 0);
    const listFile = join(work, `${dataset.name}.list`);
    writeFileSync(listFile, `${parsed.map((file) => file.path).join("\n")}\n`);
    const cache = join(work, `cache-${dataset.name}`);
    const env = { ...process.env, HIEROCODE_CACHE_DIR: cache, NO_COLOR: "1" };
    const oursOut = join(work, `${dataset.name}.ours.json`);
    const ctagsOut = join(work, `${dataset.name}.ctags.json`);
    const ours = (outFile?: string) =>
      timed(process.execPath, [cli, "repo", "symbols", "--json", "--repo", root], {
        env,
        ...(outFile ? { outFile } : {}),
      });
    const ctags = () => {
      rmSync(ctagsOut, { force: true });
      return timed("ctags", ctagsArgs(listFile, ctagsOut), { cwd: root });
    };
    const samples: Array<{ cold: Measure; warm: Measure; ctags: Measure; node: Measure; version: Measure }> =
      [];
    for (let round = 0; round < rounds; round++) {
      rmSync(cache, { recursive: true, force: true });
      const node = timed(process.execPath, ["-e", "0"], {});
      const version = timed(process.execPath, [cli, "--version"], { env });
      // Alternate who goes first, so neither side always meets a warmer page cache.
      let reference: Measure;
      let cold: Measure;
      if (round % 2 === 0) {
        reference = ctags();
        cold = ours(round === 0 ? oursOut : undefined);
      } else {
        cold = ours();
        reference = ctags();
      }
      const warm = ours();
      samples.push({ cold, warm, ctags: reference, node, version });
      console.error(
        `${dataset.name} round ${round + 1}/${rounds}: cold ${fixed(cold.cpu)} s CPU, warm ${fixed(warm.cpu)}, ctags ${fixed(reference.cpu)}`,
      );
    }
    const m = (pick: (sample: (typeof samples)[number]) => number) => median(samples.map(pick));
    const coldRatio = m((s) => s.cold.cpu / s.ctags.cpu);
    const warmRatio = m((s) => s.warm.cpu / s.ctags.cpu);
    const warmWallRatio = m((s) => s.warm.wall / s.ctags.wall);
    const coldRss = m((s) => s.cold.rssMb);
    const rssRatio = (coldRss * 1024 * 1024) / sourceBytes;
    const rssAboveNodeRatio = (m((s) => s.cold.rssMb - s.node.rssMb) * 1024 * 1024) / sourceBytes;
    timing.push(
      `| ${dataset.name} | ${parsed.length} | ${fixed(sourceBytes / 1e6, 1)} | ${fixed(coldRatio, 1)}× | ${fixed(warmRatio)}× | ${fixed(warmWallRatio)}× | ${fixed(m((s) => s.cold.cpu))} / ${fixed(m((s) => s.warm.cpu))} / ${fixed(m((s) => s.ctags.cpu))} | ${fixed(m((s) => s.cold.wall))} / ${fixed(m((s) => s.warm.wall))} / ${fixed(m((s) => s.ctags.wall))} | ${fixed(coldRss, 0)} / ${fixed(
        m((s) => s.warm.rssMb),
        0,
      )} / ${fixed(
        m((s) => s.ctags.rssMb),
        0,
      )} / ${fixed(
        m((s) => s.node.rssMb),
        0,
      )} | ${fixed(rssRatio, 1)}× | ${fixed(rssAboveNodeRatio, 1)}× |`,
    );
    startup.push(
      `| ${dataset.name} | ${fixed(m((s) => s.node.cpu))} / ${fixed(m((s) => s.version.cpu))} | ${fixed(m((s) => s.warm.cpu - s.version.cpu))} s |`,
    );
    const checks: Array<[string, boolean]> = [
      [`cold CPU ${fixed(coldRatio, 1)}× ctags (goal ≤ ${goals.coldCpu}×)`, coldRatio <= goals.coldCpu],
      [`warm CPU ${fixed(warmRatio, 3)}× ctags (goal < ${goals.warmCpu}×)`, warmRatio < goals.warmCpu],
      [
        `peak RSS ${fixed(rssRatio, 1)}× source (goal ≤ ${goals.rssPerSourceByte}×)`,
        rssRatio <= goals.rssPerSourceByte,
      ],
    ];
    for (const [text, ok] of checks) {
      verdicts.push(`${ok ? "PASS" : "FAIL"} ${dataset.name}: ${text}`);
      if (!ok) failed = true;
    }

    // Quality from the first cold run's own output, against the last ctags run (same files).
    const printed = JSON.parse(readFileSync(oursOut, "utf8")) as
      | OurJsonRow[]
      | { ok: boolean; symbols: OurJsonRow[] };
    const rows = (Array.isArray(printed) ? printed : printed.symbols).map(
      (row): OurSymbolRow => [row.path, row.name, row.kind, row.container, row.line, row.end_line],
    );
    const lines = new Map<string, string[]>();
    const lineText = (path: string, line: number) => {
      const content = lines.get(path) ?? readFileSync(join(root, path), "utf8").split("\n");
      lines.set(path, content);
      return content[line - 1] ?? "";
    };
    const { stats } = compareWithCtags(rows, readCtags(ctagsOut), languageForPath, lineText);
    const cell = (value: CategoryStats) =>
      value.ctags === 0
        ? "–"
        : `${(100 * value.recall).toFixed(1)}% / ${(100 * value.precision).toFixed(1)}% (n=${value.ctags})`;
    for (const [language, categories] of Object.entries(stats)) {
      quality.push(
        `| ${dataset.name} | ${language} | ${cell(categories.topLevel)} | ${cell(categories.classes)} | ${cell(categories.methods)} |`,
      );
    }
    rmSync(cache, { recursive: true, force: true });
  }

  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `\nhierocode repo symbols --json vs ${version}, whole processes: medians of ${rounds} paired rounds (ratios per round); load average at the end ${load}\n`,
  );
  console.log(timing.join("\n"));
  console.log("\nStart-up alone (same rounds)\n");
  console.log(startup.join("\n"));
  console.log("\nSymbol recall / precision against ctags (same files)\n");
  console.log(quality.join("\n"));
  console.log(`\n${verdicts.join("\n")}`);
  rmSync(work, { recursive: true, force: true });
  return failed ? 1 : 0;
}

process.exitCode = main();
