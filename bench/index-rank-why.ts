/** Diagnostics for bench:rank: top lexical matches of one task (index-rank-why <dataset> <task>). */
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { indexRepo } from "../src/repo/indexer.js";
import { rankForTask } from "../src/repo/repo-map.js";
import { taskRelevance } from "../src/repo/task-relevance.js";
import { taskTerms } from "../src/repo/task-terms.js";
import { rankDatasets } from "./index-rank-tasks.js";

const [id, task] = process.argv.slice(2);
const dataset = rankDatasets.find((candidate) => candidate.id === id);
if (!dataset || !task) throw new Error("usage: index-rank-why <dataset> <task>");
const root =
  dataset.root === "stdlib"
    ? execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], {
        encoding: "utf8",
      }).trim()
    : join(new URL("..", import.meta.url).pathname, dataset.root);
const env = { ...process.env, HIEROCODE_CACHE_DIR: join(tmpdir(), "hierocode-bench-rank-cache") };
const { files } = await indexRepo(root, { env, ...(dataset.exclude ? { exclude: dataset.exclude } : {}) });
const terms = taskTerms(task);
console.log("words", [...terms.words], "wholes", [...terms.wholes]);
const relevance = taskRelevance(files, terms);
const lexical = files
  .map((file, position) => ({ path: file.path, score: relevance.fileScores[position] ?? 0 }))
  .sort((a, b) => b.score - a.score)
  .slice(0, 8);
for (const row of lexical) console.log(row.score.toFixed(2).padStart(8), row.path);
const ranked = rankForTask(files, { task });
console.log("--- entries");
for (const entry of ranked.entries.slice(0, 15))
  console.log(entry.rank.toExponential(2), entry.file, entry.symbol?.kind, entry.symbol?.name);
