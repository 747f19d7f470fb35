/**
 * `npm run bench:rank`: how well the repository map ranks the files a task needs. For each task of
 * bench/index-rank-tasks.ts the repository is indexed (cached between runs), ranked for the task
 * text exactly as the planner's map is, and scored on the map's file order: hit@1/3/5 and MRR of
 * the first expected file, plus whether the expected definitions are visible in the map rendered
 * at 1,024 tokens. Tasks alternate between a tuning set and a held-out set; per-task lines are
 * printed for the tuning set only unless BENCH_RANK_SHOW=all.
 */
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { indexRepo } from "../src/repo/indexer.js";
import { fitToBudget } from "../src/repo/render-map.js";
import { rankForTask } from "../src/repo/repo-map.js";
import type { IndexedFile } from "../src/repo/types.js";
import { defaultTokenCounter } from "../src/tokens/select.js";
import { type RankTask, rankDatasets, rankTasks, taskSet } from "./index-rank-tasks.js";

const budget = 1024;
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
  symbolsShown: number;
  symbolsWanted: number;
  tokens: number;
  emptyHeaders: number;
  top: string[];
}

function scoreTask(task: RankTask, set: Score["set"], files: IndexedFile[]): Score {
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
  const index = order.findIndex((path) => task.files.includes(path));
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
    position: index < 0 ? Number.POSITIVE_INFINITY : index + 1,
    symbolsShown,
    symbolsWanted: task.symbols.length,
    tokens: fitted.tokens,
    emptyHeaders,
    top: order.slice(0, 3),
  };
}

function summary(label: string, scores: Score[]): string {
  const n = scores.length;
  const hit = (k: number) => scores.filter((score) => score.position <= k).length / n;
  const mrr = scores.reduce((sum, score) => sum + 1 / score.position, 0) / n;
  const wanted = scores.reduce((sum, score) => sum + score.symbolsWanted, 0);
  const shown = scores.reduce((sum, score) => sum + score.symbolsShown, 0);
  const tokens = scores.map((score) => score.tokens);
  const empty = scores.reduce((sum, score) => sum + score.emptyHeaders, 0);
  const percent = (value: number) => `${(100 * value).toFixed(0)}%`;
  return `| ${label} | ${n} | ${percent(hit(1))} | ${percent(hit(3))} | ${percent(hit(5))} | ${mrr.toFixed(3)} | ${shown}/${wanted} (${percent(shown / Math.max(1, wanted))}) | ${Math.min(...tokens)}–${Math.max(...tokens)} | ${empty} |`;
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
    rankTasks.forEach((task, position) => {
      if (task.dataset !== dataset.id) return;
      scores.push(scoreTask(task, taskSet(position), files));
    });
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
  const detailed = show === "all" ? scores : show === "none" ? [] : tuning;
  if (detailed.length > 0) console.log("");
  for (const score of detailed) {
    const place = Number.isFinite(score.position) ? `#${score.position}` : "absent";
    console.log(
      `${place.padEnd(7)} ${`${score.symbolsShown}/${score.symbolsWanted}`.padEnd(4)} [${score.task.dataset}] ${score.task.task}  → ${score.top.join(", ")}`,
    );
  }
}

await main();
