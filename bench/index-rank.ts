/**
 * `npm run bench:rank`: how well the repository map ranks the files a task needs. For each task of
 * bench/index-rank-tasks.ts the repository is indexed (cached between runs), ranked for the task
 * text exactly as the planner's map is, and scored on the map's file order: hit@1/3/5, MRR of the
 * first expected file, recall@5/10 (share of the expected files in the first 5/10), and whether
 * the expected definitions are visible in the map rendered at 1,024 tokens. In the same run, the
 * same tasks are ranked by a reference — BM25 over each file's text plus BM25 over its path
 * (bench/index-rank-bm25.ts) — and scored the same way.
 *
 * Tasks fall into a tuning and a held-out set by a hash of their text; per-task lines are printed
 * for the tuning set only unless BENCH_RANK_SHOW=all. The goal is judged on the held-out set: the
 * map's MRR and recall@5 at least the reference's. The difference is reported with a paired
 * bootstrap 95% interval (10,000 resamples of the held-out tasks, fixed seed) and an exact sign
 * test, so a reader sees whether "at least" is a margin or noise. The process exits 1 when the
 * goal is missed, 2 when a repository is missing or at the wrong commit.
 *
 * Repositories: the CPython stdlib (python3), node_modules, and checkouts of pylint, vite, tokio
 * and hugo at the commits in bench/index-rank-history.ts, in BENCH_RANK_SOURCES (default: the
 * bench:index folder BENCH_INDEX_SOURCES, else /tmp/hierocode-bench-sources). BENCH_RANK_ONLY=pylint,vite
 * runs only those datasets (diagnostics); BENCH_RANK_SET=tuning scores only the tuning tasks (what
 * tuning the ranker may look at; no verdict is printed then).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { indexRepo } from "../src/repo/indexer.js";
import { isAsidePath } from "../src/repo/rank.js";
import { fitToBudget } from "../src/repo/render-map.js";
import { rankForTask } from "../src/repo/repo-map.js";
import { readTexts } from "../src/repo/text-bm25.js";
import type { IndexedFile } from "../src/repo/types.js";
import { defaultTokenCounter } from "../src/tokens/select.js";
import { bm25Index } from "./index-rank-bm25.js";
import { type RankDataset, type RankTask, rankDatasets, rankTasks, taskSet } from "./index-rank-tasks.js";

const budget = 1024;
const sources =
  process.env.BENCH_RANK_SOURCES ??
  process.env.BENCH_INDEX_SOURCES ??
  join(tmpdir(), "hierocode-bench-sources");
const show = process.env.BENCH_RANK_SHOW ?? "tuning";
/** Comma-separated dataset ids to run (diagnostics; the goal is only meaningful on all of them). */
const only = process.env.BENCH_RANK_ONLY;
/** BENCH_RANK_SET=tuning scores the tuning tasks only: what tuning the ranker may look at. */
const onlySet = process.env.BENCH_RANK_SET === "tuning" ? "tuning" : undefined;
const env = {
  ...process.env,
  HIEROCODE_CACHE_DIR: process.env.BENCH_RANK_CACHE ?? join(tmpdir(), "hierocode-bench-rank-cache"),
};
const projectRoot = new URL("..", import.meta.url).pathname;
const counter = defaultTokenCounter();

function rootOf(root: string): string {
  if (root.startsWith("sources:")) return join(sources, root.slice("sources:".length));
  if (root !== "stdlib") return join(projectRoot, root);
  return execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], {
    encoding: "utf8",
  }).trim();
}

/** Files in the order the map shows them, and the symbol lines rendered under each. */
function renderedBlocks(text: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (!line.startsWith(" ")) {
      current = [];
      blocks.set(line.replace(/:$/, ""), current);
    } else current?.push(line);
  }
  return blocks;
}

interface Score {
  task: RankTask;
  set: "tuning" | "held-out";
  /** Files in the map's order and in the reference's order (first 10 each). */
  order: string[];
  reference: string[];
  /** 1-based position of the first expected file in map order; Infinity when absent. */
  position: number;
  /** The same for the BM25 reference's order. */
  baseline: number;
  /**
   * The stronger reference: BM25's order with tests, fixtures, documentation and examples moved
   * after all other files, as the map does (rank.ts `isAsidePath`).
   */
  testsLast: string[];
  testsLastPosition: number;
  symbolsShown: number;
  symbolsWanted: number;
  tokens: number;
  emptyHeaders: number;
  /** Wall time of ranking this task: the map (rankForTask) and the reference. */
  mapMs: number;
  referenceMs: number;
}

function positionIn(order: string[], wanted: string[]): number {
  const index = order.findIndex((path) => wanted.includes(path));
  return index < 0 ? Number.POSITIVE_INFINITY : index + 1;
}

function scoreTask(
  task: RankTask,
  set: Score["set"],
  files: IndexedFile[],
  reference: ReturnType<typeof bm25Index>,
  texts: readonly string[],
): Score {
  const byPath = new Map(files.map((file) => [file.path, file]));
  const problems: string[] = [];
  for (const path of task.files) if (!byPath.has(path)) problems.push(`no file ${path}`);
  for (const name of task.symbols) {
    if (!task.files.some((path) => byPath.get(path)?.symbols.some((symbol) => symbol.name === name)))
      problems.push(`no symbol ${name} in ${task.files.join(", ")}`);
  }
  if (problems.length > 0) throw new Error(`task "${task.task}": ${problems.join("; ")}`);

  const mapStarted = performance.now();
  const ranked = rankForTask(files, { task: task.task, texts });
  const mapMs = performance.now() - mapStarted;
  const order: string[] = [];
  const seen = new Set<string>();
  for (const entry of ranked.entries) {
    if (seen.has(entry.file)) continue;
    seen.add(entry.file);
    order.push(entry.file);
  }
  const referenceStarted = performance.now();
  const referenceOrder = reference.rank(task.task);
  const referenceMs = performance.now() - referenceStarted;
  const testsLast = [
    ...referenceOrder.filter((path) => !isAsidePath(path)),
    ...referenceOrder.filter((path) => isAsidePath(path)),
  ];
  const fitted = fitToBudget(ranked.entries, byPath, budget, counter);
  const blocks = renderedBlocks(fitted.text);
  const symbolWord = (name: string) =>
    new RegExp(`(^|[^A-Za-z0-9_$])${name.replace(/\$/g, "\\$")}($|[^A-Za-z0-9_$])`);
  let symbolsShown = 0;
  for (const name of task.symbols) {
    const pattern = symbolWord(name);
    if (task.files.some((path) => blocks.get(path)?.some((line) => pattern.test(line)))) symbolsShown++;
  }
  let emptyHeaders = 0;
  for (const [path, lines] of blocks)
    if (lines.length === 0 && (byPath.get(path)?.symbols.length ?? 0) > 0) emptyHeaders++;
  return {
    task,
    set,
    order: order.slice(0, 10),
    reference: referenceOrder.slice(0, 10),
    position: positionIn(order, task.files),
    baseline: positionIn(referenceOrder, task.files),
    testsLast: testsLast.slice(0, 10),
    testsLastPosition: positionIn(testsLast, task.files),
    symbolsShown,
    symbolsWanted: task.symbols.length,
    tokens: fitted.tokens,
    emptyHeaders,
    mapMs,
    referenceMs,
  };
}

interface Figures {
  hit1: number;
  hit3: number;
  hit5: number;
  mrr: number;
  recall5: number;
  recall10: number;
}

function recall(order: string[], wanted: string[], k: number): number {
  const top = new Set(order.slice(0, k));
  return wanted.filter((path) => top.has(path)).length / Math.max(1, wanted.length);
}

type Side = "map" | "reference" | "testsLast";

function positionOf(score: Score, side: Side): number {
  return side === "map" ? score.position : side === "reference" ? score.baseline : score.testsLastPosition;
}

function figures(scores: Score[], side: Side): Figures {
  const n = Math.max(1, scores.length);
  const positions = scores.map((score) => positionOf(score, side));
  const orders = scores.map((score) =>
    side === "map" ? score.order : side === "reference" ? score.reference : score.testsLast,
  );
  const hit = (k: number) => positions.filter((position) => position <= k).length / n;
  const recallAt = (k: number) =>
    scores.reduce((sum, score, index) => sum + recall(orders[index]!, score.task.files, k), 0) / n;
  return {
    hit1: hit(1),
    hit3: hit(3),
    hit5: hit(5),
    mrr: positions.reduce((sum, position) => sum + 1 / position, 0) / n,
    recall5: recallAt(5),
    recall10: recallAt(10),
  };
}

const percent = (value: number) => `${(100 * value).toFixed(0)}%`;

/** mulberry32: a small seeded PRNG, so the bootstrap interval is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Paired comparison of per-task values a (map) and b (reference): the mean difference, its
 * percentile bootstrap 95% interval (Efron & Tibshirani, "An Introduction to the Bootstrap",
 * 1993, ch. 13; 10,000 resamples of whole tasks, seed 1), and the exact two-sided sign test over
 * the tasks where they differ (ties dropped).
 */
function paired(a: number[], b: number[]) {
  const n = a.length;
  const differences = a.map((value, index) => value - b[index]!);
  const mean = differences.reduce((sum, value) => sum + value, 0) / Math.max(1, n);
  const random = seeded(1);
  const means: number[] = [];
  for (let round = 0; round < 10_000 && n > 0; round++) {
    let sum = 0;
    for (let draw = 0; draw < n; draw++) sum += differences[Math.floor(random() * n)]!;
    means.push(sum / n);
  }
  means.sort((x, y) => x - y);
  const low = means[Math.floor(0.025 * means.length)] ?? 0;
  const high = means[Math.ceil(0.975 * means.length) - 1] ?? 0;
  const wins = differences.filter((value) => value > 1e-12).length;
  const losses = differences.filter((value) => value < -1e-12).length;
  const trials = wins + losses;
  // P(X ≤ min) for X ~ Binomial(trials, ½), doubled, capped at 1.
  const fewer = Math.min(wins, losses);
  let tail = 0;
  let term = 0.5 ** trials;
  for (let k = 0; k <= fewer; k++) {
    tail += term;
    term = (term * (trials - k)) / (k + 1);
  }
  return { mean, low, high, wins, losses, ties: n - trials, p: trials === 0 ? 1 : Math.min(1, 2 * tail) };
}

function summary(label: string, scores: Score[]): string {
  const n = scores.length;
  const ours = figures(scores, "map");
  const wanted = scores.reduce((sum, score) => sum + score.symbolsWanted, 0);
  const shown = scores.reduce((sum, score) => sum + score.symbolsShown, 0);
  const tokens = scores.map((score) => score.tokens);
  const empty = scores.reduce((sum, score) => sum + score.emptyHeaders, 0);
  const symbols = wanted === 0 ? "–" : `${shown}/${wanted} (${percent(shown / wanted)})`;
  return `| ${label} | ${n} | ${percent(ours.hit1)} | ${percent(ours.hit3)} | ${percent(ours.hit5)} | ${ours.mrr.toFixed(3)} | ${percent(ours.recall10)} | ${symbols} | ${Math.min(...tokens)}–${Math.max(...tokens)} | ${empty} |`;
}

function comparison(label: string, scores: Score[], side: Side): string {
  const ours = figures(scores, "map");
  const reference = figures(scores, side);
  const cell = (a: number, b: number, format: (value: number) => string) =>
    `${format(a)} / ${format(b)} (${a === b ? "=" : `${a > b ? "+" : ""}${format(a - b)}`})`;
  const fixed = (value: number) => value.toFixed(3);
  const test = paired(
    scores.map((score) => 1 / score.position),
    scores.map((score) => 1 / positionOf(score, side)),
  );
  const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(3)}`;
  return `| ${label} | ${scores.length} | ${cell(ours.hit1, reference.hit1, percent)} | ${cell(ours.hit5, reference.hit5, percent)} | ${cell(ours.mrr, reference.mrr, fixed)} | ${signed(test.low)} … ${signed(test.high)} | ${test.wins}/${test.losses}/${test.ties}, p=${test.p.toFixed(3)} | ${cell(ours.recall5, reference.recall5, percent)} | ${cell(ours.recall10, reference.recall10, percent)} |`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Null when the dataset's files are there (and at the pinned commit when that can be checked). */
function unavailable(dataset: RankDataset, root: string): string | null {
  if (!existsSync(root)) return `${root} is missing`;
  if (!dataset.commit || !existsSync(join(root, ".git"))) return null;
  // A source tree bench:index ran `git init` on has a .git without commits: nothing to check.
  let head: string;
  try {
    head = execFileSync("git", ["-C", root, "rev-parse", "--verify", "-q", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
  return head === dataset.commit
    ? null
    : `${root} is at ${head.slice(0, 12)}, not ${dataset.commit.slice(0, 12)}`;
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  const missing: string[] = [];
  for (const dataset of rankDatasets) {
    const problem = unavailable(dataset, rootOf(dataset.root));
    if (problem) missing.push(`${problem}${dataset.url ? ` (${dataset.url} at ${dataset.commit})` : ""}`);
  }
  if (missing.length > 0) {
    console.error(`error: bench:rank needs every repository: ${missing.join("; ")}`);
    console.error(
      `hint: in ${sources} (or BENCH_RANK_SOURCES): git clone URL NAME && git -C NAME checkout COMMIT, for each one above`,
    );
    process.exitCode = 2;
    return;
  }
  const scores: Score[] = [];
  for (const dataset of rankDatasets) {
    if (only && !only.split(",").includes(dataset.id)) continue;
    const root = rootOf(dataset.root);
    const started = performance.now();
    const { files } = await indexRepo(root, {
      env,
      ...(dataset.exclude ? { exclude: dataset.exclude } : {}),
    });
    const indexedMs = performance.now() - started;
    const textsStarted = performance.now();
    const texts = readTexts(root, files);
    const textsMs = performance.now() - textsStarted;
    const referenceStarted = performance.now();
    const reference = bm25Index(
      root,
      files.map((file) => file.path),
    );
    const referenceMs = performance.now() - referenceStarted;
    for (const task of rankTasks) {
      if (task.dataset !== dataset.id) continue;
      if (onlySet && taskSet(task) !== onlySet) continue;
      scores.push(scoreTask(task, taskSet(task), files, reference, texts));
    }
    console.error(
      `${dataset.id}: ${files.length} files, indexed in ${(indexedMs / 1000).toFixed(1)} s, texts read in ${textsMs.toFixed(0)} ms, BM25 reference built in ${(referenceMs / 1000).toFixed(1)} s`,
    );
  }
  const header = [
    `| set | tasks | hit@1 | hit@3 | hit@5 | MRR | recall@10 | key symbols in map @${budget} | map tokens (${counter.name}) | headers without symbols |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const tuning = scores.filter((score) => score.set === "tuning");
  const heldOut = scores.filter((score) => score.set === "held-out");
  const groups: Array<[string, Score[]]> = [
    ["tuning", tuning],
    ["held-out", heldOut],
    ...(["tuning", "held-out"] as const).flatMap((set) => {
      const inSet = set === "tuning" ? tuning : heldOut;
      return [
        [`${set}, history`, inSet.filter((score) => score.task.origin === "history")],
        [`${set}, written`, inSet.filter((score) => score.task.origin === "written")],
        ...["pylint", "vite", "tokio", "hugo"].map((id) => [
          `${set}, ${id}`,
          inSet.filter((score) => score.task.dataset === id),
        ]),
      ] as Array<[string, Score[]]>;
    }),
    ["all", scores],
  ];
  const shown = groups.filter(([, group]) => group.length > 0);
  console.log([...header, ...shown.map(([label, group]) => summary(label, group))].join("\n"));
  for (const [side, title] of [
    ["reference", "BM25 over file text + path"],
    [
      "testsLast",
      "the same BM25 with tests, fixtures, docs and examples moved after all other files, as the map does",
    ],
  ] as Array<[Side, string]>) {
    console.log(
      [
        "",
        `Map vs reference (${title}; same files, same tasks, same run): map / reference (difference).`,
        "MRR Δ 95%: paired bootstrap interval of the MRR difference; sign test: tasks where the map ranks the first expected file higher / lower / the same.",
        "",
        "| set | tasks | hit@1 | hit@5 | MRR | MRR Δ 95% | sign test | recall@5 | recall@10 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ...shown.map(([label, group]) => comparison(label, group, side)),
      ].join("\n"),
    );
  }
  const detailed = show === "all" ? scores : show === "none" ? [] : tuning;
  if (detailed.length > 0) console.log("");
  for (const score of detailed) {
    const place = Number.isFinite(score.position) ? `#${score.position}` : "absent";
    const reference = Number.isFinite(score.testsLastPosition) ? `#${score.testsLastPosition}` : "absent";
    console.log(
      `${place.padEnd(7)} bm25* ${reference.padEnd(7)} ${`${score.symbolsShown}/${score.symbolsWanted}`.padEnd(4)} [${score.task.dataset}] ${score.task.task}  → ${score.order.slice(0, 3).join(", ")}`,
    );
  }
  const mapMs = median(scores.map((score) => score.mapMs));
  const referenceMs = median(scores.map((score) => score.referenceMs));
  console.log(
    `\nRanking time per task (median, under whatever load the machine has): map ${mapMs.toFixed(0)} ms, BM25 ${referenceMs.toFixed(0)} ms; whole bench ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`,
  );
  if (onlySet) return;
  const ours = figures(heldOut, "map");
  const misses: string[] = [];
  const verdicts: string[] = [];
  for (const [side, name] of [
    ["reference", "BM25"],
    ["testsLast", "BM25 tests-last"],
  ] as Array<[Side, string]>) {
    const reference = figures(heldOut, side);
    const test = paired(
      heldOut.map((score) => 1 / score.position),
      heldOut.map((score) => 1 / positionOf(score, side)),
    );
    if (ours.mrr < reference.mrr)
      misses.push(`held-out MRR ${ours.mrr.toFixed(3)} < ${name} ${reference.mrr.toFixed(3)}`);
    if (ours.recall5 < reference.recall5)
      misses.push(`held-out recall@5 ${percent(ours.recall5)} < ${name} ${percent(reference.recall5)}`);
    const significance =
      test.low > 0 ? "better beyond noise" : test.high < 0 ? "worse beyond noise" : "within noise";
    verdicts.push(
      `vs ${name}: MRR ${ours.mrr.toFixed(3)} / ${reference.mrr.toFixed(3)}, recall@5 ${percent(ours.recall5)} / ${percent(reference.recall5)}, ${significance} (MRR Δ 95% ${test.low.toFixed(3)} … ${test.high.toFixed(3)}, sign test p=${test.p.toFixed(3)})`,
    );
  }
  console.log(
    `\n${misses.length === 0 ? "PASS" : `FAIL: ${misses.join("; ")}`}\nheld-out (${heldOut.length} tasks) ${verdicts.join("\n  ")}`,
  );
  if (misses.length > 0) process.exitCode = 1;
}

await main();
