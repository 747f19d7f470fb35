/**
 * Ranking tasks for `npm run bench:rank`, from two sources:
 * - "written": 40 tasks as a user would type them over code that is stable on this machine (the
 *   CPython stdlib and four npm packages in node_modules), with the files a planner must see and
 *   the definitions in them it needs. Written by hand while the ranker was being built, and easy
 *   for plain BM25 (it places the right file first on nearly all of them).
 * - "history": 120 tasks taken mechanically from the real commits of pylint, vite, tokio and hugo
 *   (bench/index-rank-history.ts, .json): the commit's subject is the task, the source files it
 *   modified are the files to find. Chosen and fixed before either ranker was run on them.
 * Each task belongs to the tuning or the held-out set by a hash of its dataset and text (see
 * `taskSet`).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { type HistoryTask, historyRepos } from "./index-rank-history.js";

export interface RankDataset {
  id: string;
  /**
   * "stdlib" is resolved through python3; "sources:NAME" is the checkout NAME under the sources
   * folder (BENCH_RANK_SOURCES); anything else is relative to the project root.
   */
  root: string;
  exclude?: string[];
  /** For a checkout: the commit it must be at, and where to get it. */
  commit?: string;
  url?: string;
}

export interface RankTask {
  dataset: string;
  task: string;
  /** Repo-relative; a hit is the first of these in map order. */
  files: string[];
  /** Definitions (by name) that should be visible in the rendered map, in one of `files`. */
  symbols: string[];
  origin: "written" | "history";
  /** History tasks: the commit the task and its files come from. */
  commit?: string;
}

export const rankDatasets: RankDataset[] = [
  { id: "stdlib", root: "stdlib", exclude: ["site-packages/"] },
  { id: "commander", root: "node_modules/commander" },
  // Every module ships a .d.ts twin of its .js: the implementation is the file to change.
  { id: "yaml", root: "node_modules/yaml/dist", exclude: ["*.d.ts"] },
  { id: "diff", root: "node_modules/diff/libesm", exclude: ["*.d.ts", "*.d.ts.map"] },
  { id: "zod", root: "node_modules/zod/src/v4", exclude: ["mini/", "tests/", "locales/"] },
  ...historyRepos.map((repo) => ({
    id: repo.name,
    root: `sources:${repo.name}`,
    commit: repo.commit,
    url: repo.url,
    ...(repo.exclude ? { exclude: repo.exclude } : {}),
  })),
];

const writtenTasks: Array<Omit<RankTask, "origin">> = [
  {
    dataset: "stdlib",
    task: "make json.dumps sort keys by default",
    files: ["json/__init__.py", "json/encoder.py"],
    symbols: ["dumps", "JSONEncoder"],
  },
  {
    dataset: "stdlib",
    task: "add a timeout parameter to shutil.copytree",
    files: ["shutil.py"],
    symbols: ["copytree"],
  },
  {
    dataset: "stdlib",
    task: "let the csv DictWriter skip None values",
    files: ["csv.py"],
    symbols: ["DictWriter"],
  },
  {
    dataset: "stdlib",
    task: "argparse: show default values in the help of every argument",
    files: ["argparse.py"],
    symbols: ["ArgumentDefaultsHelpFormatter", "HelpFormatter"],
  },
  {
    dataset: "stdlib",
    task: "retry smtplib connections when the server drops the connection",
    files: ["smtplib.py"],
    symbols: ["SMTP", "connect"],
  },
  {
    dataset: "stdlib",
    task: "rotating file handler in logging should compress old log files",
    files: ["logging/handlers.py"],
    symbols: ["RotatingFileHandler"],
  },
  {
    dataset: "stdlib",
    task: "http server: write the request log as JSON lines",
    files: ["http/server.py"],
    symbols: ["BaseHTTPRequestHandler", "log_message"],
  },
  {
    dataset: "stdlib",
    task: "add a timeout argument to asyncio Queue.get",
    files: ["asyncio/queues.py"],
    symbols: ["Queue", "get"],
  },
  {
    dataset: "stdlib",
    task: "urllib: send a default User-Agent header from urlopen",
    files: ["urllib/request.py"],
    symbols: ["urlopen", "OpenerDirector"],
  },
  {
    dataset: "stdlib",
    task: "zipfile extraction should preserve unix file permissions",
    files: ["zipfile.py"],
    symbols: ["ZipFile", "extract"],
  },
  {
    dataset: "stdlib",
    task: "configparser: warn instead of failing on duplicate sections",
    files: ["configparser.py"],
    symbols: ["RawConfigParser", "DuplicateSectionError"],
  },
  {
    dataset: "stdlib",
    task: "textwrap.shorten should accept a custom placeholder per call",
    files: ["textwrap.py"],
    symbols: ["shorten", "TextWrapper"],
  },
  {
    dataset: "stdlib",
    task: "speed up difflib SequenceMatcher on long sequences",
    files: ["difflib.py"],
    symbols: ["SequenceMatcher"],
  },
  {
    dataset: "stdlib",
    task: "pprint: option to sort dictionaries by value",
    files: ["pprint.py"],
    symbols: ["PrettyPrinter"],
  },
  {
    dataset: "stdlib",
    task: "statistics median should work for datetime values",
    files: ["statistics.py"],
    symbols: ["median"],
  },
  {
    dataset: "stdlib",
    task: "heapq merge: support a key function together with reverse",
    files: ["heapq.py"],
    symbols: ["merge"],
  },
  {
    dataset: "stdlib",
    task: "sqlite3 iterdump should also dump the indexes and triggers",
    files: ["sqlite3/dump.py"],
    symbols: ["_iterdump"],
  },
  {
    dataset: "stdlib",
    task: "unittest text runner: print the ten slowest tests",
    files: ["unittest/runner.py"],
    symbols: ["TextTestRunner", "TextTestResult"],
  },
  {
    dataset: "stdlib",
    task: "tempfile NamedTemporaryFile: delete on close should be optional",
    files: ["tempfile.py"],
    symbols: ["NamedTemporaryFile"],
  },
  {
    dataset: "stdlib",
    task: "base64: add url-safe base32 encoding",
    files: ["base64.py"],
    symbols: ["b32encode"],
  },
  {
    dataset: "stdlib",
    task: "ftplib: use passive mode by default for FTP_TLS",
    files: ["ftplib.py"],
    symbols: ["FTP_TLS"],
  },
  {
    dataset: "stdlib",
    task: "ipaddress: collapse a large list of networks faster",
    files: ["ipaddress.py"],
    symbols: ["collapse_addresses"],
  },
  {
    dataset: "commander",
    task: "report conflicting options with both option names",
    files: ["lib/command.js", "lib/option.js"],
    symbols: ["_checkForConflictingLocalOptions", "conflicts"],
  },
  {
    dataset: "commander",
    task: "suggest similar commands with a smaller edit distance",
    files: ["lib/suggestSimilar.js"],
    symbols: ["suggestSimilar", "editDistance"],
  },
  {
    dataset: "commander",
    task: "help: wrap long option descriptions at the terminal width",
    files: ["lib/help.js"],
    symbols: ["Help", "formatHelp"],
  },
  {
    dataset: "commander",
    task: "let CommanderError carry a custom exit code",
    files: ["lib/error.js"],
    symbols: ["CommanderError"],
  },
  {
    dataset: "commander",
    task: "variadic arguments should check their choices",
    files: ["lib/argument.js"],
    symbols: ["Argument", "choices"],
  },
  {
    dataset: "yaml",
    task: "fold long flow lines at a configurable width when stringifying",
    files: ["stringify/foldFlowLines.js", "stringify/stringifyString.js"],
    symbols: ["foldFlowLines"],
  },
  {
    dataset: "yaml",
    task: "the lexer should report tabs used for indentation",
    files: ["parse/lexer.js"],
    symbols: ["Lexer"],
  },
  {
    dataset: "yaml",
    task: "LineCounter linePos: return UTF-16 column offsets",
    files: ["parse/line-counter.js"],
    symbols: ["LineCounter"],
  },
  {
    dataset: "yaml",
    task: "support YAML 1.1 timestamps with a timezone offset",
    files: ["schema/yaml-1.1/timestamp.js"],
    symbols: ["timestamp"],
  },
  {
    dataset: "yaml",
    task: "merge keys should accept a sequence of aliases",
    files: ["schema/yaml-1.1/merge.js"],
    symbols: ["merge"],
  },
  {
    dataset: "diff",
    task: "add a context lines option to createPatch",
    files: ["patch/create.js"],
    symbols: ["createPatch", "structuredPatch"],
  },
  {
    dataset: "diff",
    task: "applyPatch should tolerate CRLF line endings in the patch",
    files: ["patch/apply.js", "patch/line-endings.js"],
    symbols: ["applyPatch"],
  },
  {
    dataset: "diff",
    task: "diffWords: option to ignore case",
    files: ["diff/word.js"],
    symbols: ["diffWords"],
  },
  {
    dataset: "diff",
    task: "parsePatch should accept git binary patch headers",
    files: ["patch/parse.js"],
    symbols: ["parsePatch"],
  },
  {
    dataset: "zod",
    task: "email regex: allow internationalised domain names",
    files: ["core/regexes.ts"],
    symbols: ["email"],
  },
  {
    dataset: "zod",
    task: "add a bigint option to coerce",
    files: ["classic/coerce.ts"],
    symbols: ["bigint"],
  },
  {
    dataset: "zod",
    task: "to JSON schema: emit the default values of fields",
    files: ["core/to-json-schema.ts", "core/json-schema-processors.ts"],
    symbols: ["toJSONSchema"],
  },
  {
    dataset: "zod",
    task: "memoizer should evict entries when the cache grows too large",
    files: ["core/memoizer.ts"],
    symbols: [],
  },
];

const historyTasks: HistoryTask[] = JSON.parse(
  readFileSync(new URL("./index-rank-history.json", import.meta.url), "utf8"),
);

export const rankTasks: RankTask[] = [
  ...writtenTasks.map((task) => ({ ...task, origin: "written" as const })),
  ...historyTasks.map((task) => ({
    dataset: task.dataset,
    task: task.task,
    files: task.files,
    symbols: [],
    origin: "history" as const,
    commit: task.commit,
  })),
];

/**
 * Which set a task belongs to, decided by its text alone (the first byte of its SHA-256 is even:
 * tuning), not by where it was placed in this list: nobody can put an easy task into the held-out
 * set by choosing its position. Tuning may look at tuning tasks only; the goal of `bench:rank` is
 * judged on the held-out set.
 */
export function taskSet(task: RankTask): "tuning" | "held-out" {
  const first = createHash("sha256").update(`${task.dataset}\u0000${task.task}`).digest()[0]!;
  return first % 2 === 0 ? "tuning" : "held-out";
}
