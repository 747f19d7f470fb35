/**
 * `npm run bench:rank`: how well the repository map ranks the files a task needs. For each task of
 * bench/index-rank-tasks.ts the repository is indexed (cached between runs), ranked for the task
 * text exactly as the planner's map is, and scored on the map's file order: hit@1/3/5 and MRR of
 * the first expected file, plus whether the expected definitions are visible in the map rendered
 * at 1,024 tokens. In the same run, the same tasks are ranked by a reference (BM25 over each
 * file's text plus BM25 over its path, bench/index-rank-bm25.ts) and scored the same way.
 *
 * Tasks fall into a tuning and a held-out set by a hash of their text; per-task lines are printed
 * for the tuning set only unless BENCH_RANK_SHOW=all. The goal is judged on the held-out set:
 * the map's MRR and hit@5 at least the reference's, and hit@5 at least `minimumHit5`; the process
 * exits 1 when it is missed.
 */
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { indexRepo } from "../src/repo/indexer.js";
import { fitToBudget } from "../src/repo/render-map.js";
import { rankForTask } from "../src/repo/repo-map.js";
import type { IndexedFile } from "../src/repo/types.js";
import { defaultTokenCounter } from "../src/tokens/select.js";
import { bm25Index } from "./index-rank-bm25.js";
import { type RankTask, rankDatasets, rankTasks, taskSet } from "./index-rank-tasks.js";

const budget = 1024;
/** Held-out hit@5 below this fails the bench whatever the reference scores. */
const minimumHit5 = 0.6;
const show = process.env.BENCH_RANK_SHOW ?? "tuning";
const env = {
  ...process.env,
  HIEROCODE_CACHE_DIR: process.env.BENCH_RANK_CACHE ?? join(tmpdir(), "hierocode-bench-rank-cache"),
};
const projectRoot = new URL("..", import.meta.url).pathname;
const counter = defaultTokenCounter();

function rootOf(root: string): string {
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
  /** 1-based position of the first expected file in map order; Infinity when absent. */
  position: number;
  /** The same for the BM25 reference's order. */
  baseline: number;
  symbolsShown: number;
  symbolsWanted: number;
  tokens: number;
  emptyHeaders: number;
  top: string[];
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
): Score {
  const byPath = new Map(files.map((file) => [file.path, file]));
  const problems: string[] = [];
  for (const path of task.files) if (!byPath.has(path)) problems.push(`no file ${path}`);
  for (const name of task.symbols) {
    if (!task.files.some((path) => byPath.get(path)?.symbols.some((symbol) => symbol.name === name)))
      problems.push(`no symbol ${name} in ${task.files.join(", ")}`);
  }
  if (problems.length > 0) throw new Error(`task "${task.task}": ${problems.join("; ")}`);

  const ranked = rankForTask(files, { task: task.task });
  const order: string[] = [];
  const seen = new Set<string>();
  for (const entry of ranked.entries) {
    if (seen.has(entry.file)) continue;
    seen.add(entry.file);
    order.push(entry.file);
  }
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
    position: positionIn(order, task.files),
    baseline: positionIn(reference.rank(task.task), task.files),
    symbolsShown,
    symbolsWanted: task.symbols.length,
    tokens: fitted.tokens,
    emptyHeaders,
    top: order.slice(0, 3),
  };
}

interface Figures {
  hit1: number;
  hit3: number;
  hit5: number;
  mrr: number;
}

function figures(positions: number[]): Figures {
  const n = Math.max(1, positions.length);
  const hit = (k: number) => positions.filter((position) => position <= k).length / n;
  return {
    hit1: hit(1),
    hit3: hit(3),
    hit5: hit(5),
    mrr: positions.reduce((sum, position) => sum + 1 / position, 0) / n,
  };
}

const percent = (value: number) => `${(100 * value).toFixed(0)}%`;

function summary(label: string, scores: Score[]): string {
  const n = scores.length;
  const ours = figures(scores.map((score) => score.position));
  const wanted = scores.reduce((sum, score) => sum + score.symbolsWanted, 0);
  const shown = scores.reduce((sum, score) => sum + score.symbolsShown, 0);
  const tokens = scores.map((score) => score.tokens);
  const empty = scores.reduce((sum, score) => sum + score.emptyHeaders, 0);
  return `| ${label} | ${n} | ${percent(ours.hit1)} | ${percent(ours.hit3)} | ${percent(ours.hit5)} | ${ours.mrr.toFixed(3)} | ${shown}/${wanted} (${percent(shown / Math.max(1, wanted))}) | ${Math.min(...tokens)}–${Math.max(...tokens)} | ${empty} |`;
}

function comparison(label: string, scores: Score[]): string {
  const ours = figures(scores.map((score) => score.position));
  const reference = figures(scores.map((score) => score.baseline));
  const cell = (a: number, b: number, format: (value: number) => string) =>
    `${format(a)} / ${format(b)} (${a === b ? "=" : `${a > b ? "+" : ""}${format(a - b)}`})`;
  const fixed = (value: number) => value.toFixed(3);
  return `| ${label} | ${scores.length} | ${cell(ours.hit1, reference.hit1, percent)} | ${cell(ours.hit3, reference.hit3, percent)} | ${cell(ours.hit5, reference.hit5, percent)} | ${cell(ours.mrr, reference.mrr, fixed)} |`;
}

async function main(): Promise<void> {
  const scores: Score[] = [];
  for (const dataset of rankDatasets) {
    const started = performance.now();
    const { files } = await indexRepo(rootOf(dataset.root), {
      env,
      ...(dataset.exclude ? { exclude: dataset.exclude } : {}),
    });
    const indexedMs = performance.now() - started;
    const root = rootOf(dataset.root);
    const reference = bm25Index(
      root,
      files.map((file) => file.path),
    );
    for (const task of rankTasks) {
      if (task.dataset !== dataset.id) continue;
      scores.push(scoreTask(task, taskSet(task), files, reference));
    }
    console.error(`${dataset.id}: ${files.length} files, indexed in ${(indexedMs / 1000).toFixed(1)} s`);
  }
  const header = [
    `| set | tasks | hit@1 | hit@3 | hit@5 | MRR | key symbols in map @${budget} | map tokens (${counter.name}) | headers without symbols |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const tuning = scores.filter((score) => score.set === "tuning");
  const heldOut = scores.filter((score) => score.set === "held-out");
  console.log(
    [...header, summary("tuning", tuning), summary("held-out", heldOut), summary("all", scores)].join("\n"),
  );
  console.log(
    [
      "",
      "Map vs reference (BM25 over file text + path, same files, same tasks, same run): ours / BM25 (difference)",
      "",
      "| set | tasks | hit@1 | hit@3 | hit@5 | MRR |",
      "|---|---:|---:|---:|---:|---:|",
      comparison("tuning", tuning),
      comparison("held-out", heldOut),
      comparison("all", scores),
    ].join("\n"),
  );
  const detailed = show === "all" ? scores : show === "none" ? [] : tuning;
  if (detailed.length > 0) console.log("");
  for (const score of detailed) {
    const place = Number.isFinite(score.position) ? `#${score.position}` : "absent";
    const reference = Number.isFinite(score.baseline) ? `#${score.baseline}` : "absent";
    console.log(
      `${place.padEnd(7)} bm25 ${reference.padEnd(7)} ${`${score.symbolsShown}/${score.symbolsWanted}`.padEnd(4)} [${score.task.dataset}] ${score.task.task}  → ${score.top.join(", ")}`,
    );
  }
  const ours = figures(heldOut.map((score) => score.position));
  const reference = figures(heldOut.map((score) => score.baseline));
  const misses: string[] = [];
  if (ours.mrr < reference.mrr)
    misses.push(`held-out MRR ${ours.mrr.toFixed(3)} < BM25 ${reference.mrr.toFixed(3)}`);
  if (ours.hit5 < reference.hit5)
    misses.push(`held-out hit@5 ${percent(ours.hit5)} < BM25 ${percent(reference.hit5)}`);
  if (ours.hit5 < minimumHit5) misses.push(`held-out hit@5 ${percent(ours.hit5)} < ${percent(minimumHit5)}`);
  console.log(
    misses.length === 0
      ? `\nPASS: held-out MRR ${ours.mrr.toFixed(3)} ≥ BM25 ${reference.mrr.toFixed(3)}, hit@5 ${percent(ours.hit5)} ≥ BM25 ${percent(reference.hit5)} and ≥ ${percent(minimumHit5)}`
      : `\nFAIL: ${misses.join("; ")}`,
  );
  if (misses.length > 0) process.exitCode = 1;
}

await main();
