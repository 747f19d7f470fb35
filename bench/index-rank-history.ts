/**
 * Builds the history tasks of `npm run bench:rank` (bench/index-rank-history.json) from the real
 * commits of pylint, vite, tokio and hugo: the task is the commit's subject as its author wrote it
 * (an issue title in all but name: "Fix `invalid-name` false positive in `if __name__ ==
 * "__main__":` block"), with the area prefix a user would not type stripped ("fix(css): ",
 * "tpl/strings: ", "net: ") along with the pull-request number; the files the planner must see
 * are the source files the commit modified, tests and documentation left out.
 *
 * The selection is mechanical and was fixed before either ranker was run on its output, so no
 * task was picked or phrased for a ranker: walking first-parent history back from the pinned
 * commit, take a commit when its subject says it fixes or adds something (conventional type
 * fix/feat/perf, or a first word such as Fix, Add, Support, Allow, Handle, Don't), it modified
 * one to three source files that still exist at the pinned commit, and stop at `perRepo`.
 *
 * Usage: node --import ./bench/index-loader.ts bench/index-rank-history.ts <sources>, where
 *   <sources>/<name>/.git or a bare mirror at <sources>/<owner>+<name>/repo holds each
 *   repository's history (the checkouts bench:rank ranks need not have any); then
 *   `npx biome format --write bench/index-rank-history.json`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface HistoryRepo {
  name: string;
  url: string;
  /** The commit the bench's checkout must be at (its sources are ranked as of this commit). */
  commit: string;
  /** Index exclusions for the bench (none: the whole checkout, as a user's repository). */
  exclude?: string[];
}

export const historyRepos: HistoryRepo[] = [
  {
    name: "pylint",
    url: "https://github.com/pylint-dev/pylint",
    commit: "3a99b2d728d0c8ff5267e0c38ebad4f5ba228dac",
  },
  { name: "vite", url: "https://github.com/vitejs/vite", commit: "a98c8d95d552c6fa98ab66fb810f5b39ad5abf49" },
  {
    name: "tokio",
    url: "https://github.com/tokio-rs/tokio",
    commit: "ea91b33ca57ff0581b38e735cc108f831bccbdaa",
  },
  {
    name: "hugo",
    url: "https://github.com/gohugoio/hugo",
    commit: "7b5199fdeff7d7682e9f979f468d55bc7b67b934",
  },
];

const perRepo = 30;
const sourceFile = /\.(py|go|rs|ts|tsx|js|mjs|cjs|mts|cts)$/;
const notSource =
  /(^|\/)(tests?|__tests__|testdata|fixtures|playground|benches|examples?|docs?|scripts|\.github)\/|(_test\.go|\.test\.[a-z]+|\.spec\.[a-z]+|\.d\.ts)$|(^|\/)(test_[^/]*\.py|conftest\.py|tests\.rs)$|(^|\/)htesting\/|integrationtest|test_helpers/;
const verbs = new Set(
  (
    "fix fixed fixes add adds added support allow allows handle handles avoid prevent don't do respect " +
    "detect skip treat report ensure emit preserve honor honour correct recognize recognise warn accept " +
    "ignore expose implement check keep resolve make improve"
  ).split(" "),
);

/** Subject → task text, or null when the commit is not a fix or a feature. */
export function taskFromSubject(subject: string): string | null {
  let text = subject.trim();
  if (/^(revert|merge|bump|release|update dependency|\[pre-commit)/i.test(text)) return null;
  const conventional = /^(\w+)(\([^)]*\))?!?:\s*/.exec(text);
  if (
    conventional &&
    /^(fix|feat|perf|chore|docs|ci|test|tests|refactor|build|style|release|types?)$/i.test(conventional[1]!)
  ) {
    if (!/^(fix|feat|perf)$/i.test(conventional[1]!) || /deps/.test(conventional[2] ?? "")) return null;
    text = text.slice(conventional[0].length);
  } else {
    // Area prefixes: "tpl/strings: ", "net: ", "markup/goldmark, tpl: ".
    text = text.replace(/^[\w./-]+(,\s*[\w./-]+)*:\s+/, "");
    const first = text.split(/\s+/)[0]?.toLowerCase() ?? "";
    if (!verbs.has(first)) return null;
  }
  text = text
    .replace(/\s*\((#\d+|fixes #\d+|closes #\d+)\)/gi, "")
    .replace(/\s*(fixes|closes|see) #\d+.*$/i, "")
    .replace(/\s+#\d+$/, "")
    .trim();
  if (text.length < 12) return null;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface HistoryTask {
  dataset: string;
  /** The commit whose subject and files the task is taken from. */
  commit: string;
  subject: string;
  task: string;
  files: string[];
}

function gitDir(sources: string, repo: HistoryRepo): string {
  const owner = repo.url.split("/").slice(-2).join("+");
  for (const candidate of [join(sources, repo.name, ".git"), join(sources, owner, "repo")])
    if (existsSync(candidate)) return candidate;
  throw new Error(`no history for ${repo.name} under ${sources}`);
}

function tasksOf(sources: string, repo: HistoryRepo): HistoryTask[] {
  const git = (...args: string[]) =>
    execFileSync("git", [`--git-dir=${gitDir(sources, repo)}`, ...args], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
  const existing = new Set(git("ls-tree", "-r", "--name-only", repo.commit).split("\n"));
  // A mirror may lack old objects: git stops there, and what it printed before still counts.
  const log = spawnSync(
    "git",
    [`--git-dir=${gitDir(sources, repo)}`, "log", "--first-parent", "--no-merges", "-n", "2000"].concat([
      "--format=%x00%H%x09%s",
      "--name-status",
      repo.commit,
    ]),
    { encoding: "utf8", maxBuffer: 1 << 28 },
  ).stdout;
  const tasks: HistoryTask[] = [];
  for (const record of log.split("\u0000").slice(1)) {
    const [head = "", ...rest] = record.split("\n");
    const [commit = "", subject = ""] = head.split("\t");
    const task = taskFromSubject(subject);
    if (!task) continue;
    const modified: string[] = [];
    for (const line of rest) {
      const [status, path] = line.split("\t");
      if (status === "M" && path && sourceFile.test(path) && !notSource.test(path)) modified.push(path);
    }
    if (modified.length < 1 || modified.length > 3) continue;
    if (!modified.every((path) => existing.has(path))) continue;
    tasks.push({ dataset: repo.name, commit, subject, task, files: modified });
    if (tasks.length >= perRepo) break;
  }
  return tasks;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sources = process.argv[2];
  if (!sources) throw new Error("usage: index-rank-history.ts <folder with the repositories' history>");
  const tasks = historyRepos.flatMap((repo) => tasksOf(sources, repo));
  const out = new URL("./index-rank-history.json", import.meta.url);
  writeFileSync(out, `${JSON.stringify(tasks, null, 1)}\n`);
  console.error(`${tasks.length} tasks → ${out.pathname}`);
}
