/**
 * Edit-engine benchmark: builds cases from real source files on this machine (node_modules and the
 * CPython stdlib) with a fixed seed, perturbs each edit the way models do, and reports per format and
 * perturbation how often the edit applied exactly, was refused, or was APPLIED WRONGLY (must be 0).
 * The unified-diff cases also go through `git apply` and GNU `patch --fuzz=3`.
 *
 *   npm run bench:edits [-- --cases N] [-- --seed S]
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { applyEditsInMemory, parseEdits } from "../src/edits/index.js";
import type { BenchCase } from "./edits-cases.js";
import { collectSources, seededRandom, shuffle } from "./edits-corpus.js";
import { externalTools, type Verdict, verdictOf } from "./edits-external.js";
import { MODEL_REPLY_BUILDERS } from "./edits-model-replies.js";
import { BUILDERS } from "./edits-perturbations.js";

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index >= 0 ? Number(process.argv[index + 1]) : Number.NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const casesPerRow = flag("--cases", 60);
const seed = flag("--seed", 20261121);
const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

function ours(testCase: BenchCase): Verdict {
  const parsed = parseEdits(testCase.reply, { knownFiles: [testCase.path] });
  const result = applyEditsInMemory(parsed.edits, (file) =>
    file === testCase.path ? testCase.before : null,
  );
  if (!result.ok || parsed.problems.length > 0 || parsed.edits.length === 0) {
    if (process.env.BENCH_VERBOSE && !testCase.mustRefuse) {
      const reasons = [
        ...parsed.problems.map((problem) => problem.reason),
        ...result.outcomes.flatMap((outcome) => (outcome.reason ? [outcome.reason] : [])),
      ];
      process.stderr.write(
        `refused ${testCase.format} / ${testCase.perturbation} ${testCase.path}: ${reasons.join("; ") || "no edits found"}\n`,
      );
    }
    return "refused";
  }
  const change = result.changes.find((entry) => entry.file === testCase.path);
  const after = change ? change.after : testCase.before;
  // Any other file touched is a wrong application too.
  if (result.changes.some((entry) => entry.file !== testCase.path)) return "wrong";
  return verdictOf(after, testCase.before, testCase.expected) === "refused"
    ? "wrong"
    : verdictOf(after, testCase.before, testCase.expected);
}

interface Tally {
  cases: number;
  counts: Record<string, Record<Verdict, number>>;
}

function emptyCounts(): Record<Verdict, number> {
  return { exact: 0, refused: 0, wrong: 0 };
}

function main(): void {
  const started = Date.now();
  const random = seededRandom(seed);
  const sources = collectSources(projectRoot, 150, random);
  if (sources.length === 0) throw new Error("no source files found for the corpus");
  const tools = externalTools().filter((candidate) => candidate.available);
  const rows = new Map<string, Tally>();
  const wrongExamples: string[] = [];
  const origins = new Map<string, number>();
  for (const source of sources) origins.set(source.origin, (origins.get(source.origin) ?? 0) + 1);

  for (const builder of [...BUILDERS, ...MODEL_REPLY_BUILDERS]) {
    const key = `${builder.format}|${builder.perturbation}`;
    const tally: Tally = { cases: 0, counts: { hierocode: emptyCounts() } };
    for (const candidate of tools) tally.counts[candidate.name] = emptyCounts();
    rows.set(key, tally);
    const order = shuffle(sources, random);
    for (let attempt = 0; attempt < order.length * 3 && tally.cases < casesPerRow; attempt++) {
      const source = order[attempt % order.length];
      if (!source) continue;
      const testCase = builder.build(source, random);
      if (!testCase) continue;
      tally.cases++;
      const verdict = ours(testCase);
      const mine = tally.counts.hierocode as Record<Verdict, number>;
      // Where refusal is the only right answer, an application is wrong even if it happened to land well.
      const counted: Verdict = testCase.mustRefuse && verdict !== "refused" ? "wrong" : verdict;
      mine[counted]++;
      if (counted === "wrong" && wrongExamples.length < 5)
        wrongExamples.push(`${key} ${testCase.path}\n${testCase.reply.slice(0, 1500)}`);
      if (testCase.format === "unified-diff") {
        for (const external of tools) {
          const external_verdict = external.run(
            testCase.path,
            testCase.before,
            testCase.expected,
            testCase.reply,
          );
          const theirs = tally.counts[external.name] as Record<Verdict, number>;
          theirs[testCase.mustRefuse && external_verdict !== "refused" ? "wrong" : external_verdict]++;
        }
      }
    }
  }
  for (const external of tools) external.dispose();
  report(
    rows,
    tools.map((entry) => entry.name),
    origins,
    Date.now() - started,
  );
  if (wrongExamples.length > 0) {
    process.stderr.write(
      `\nWRONG applications by hierocode (first ${wrongExamples.length}):\n\n${wrongExamples.join("\n\n---\n\n")}\n`,
    );
    process.exitCode = 1;
  }
}

function cell(counts: Record<Verdict, number> | undefined): string {
  if (!counts) return "| | |";
  return `${counts.exact} | ${counts.refused} | ${counts.wrong}`;
}

function report(
  rows: Map<string, Tally>,
  toolNames: string[],
  origins: Map<string, number>,
  elapsed: number,
): void {
  const lines: string[] = [];
  lines.push(
    `Edit-engine benchmark — seed ${seed}, ${[...origins].map(([origin, count]) => `${count} files from ${origin}`).join(", ")}, ${(elapsed / 1000).toFixed(1)} s`,
  );
  lines.push("");
  const toolHeaders = toolNames.map((name) => ` ${name}: exact | refused | WRONG |`).join("");
  lines.push(`| format | perturbation | cases | hierocode: exact | refused | WRONG |${toolHeaders}`);
  lines.push(`|---|---|---:|---:|---:|---:|${toolNames.map(() => "---:|---:|---:|").join("")}`);
  const totals: Record<string, Record<Verdict, number>> = {};
  let totalCases = 0;
  for (const [key, tally] of rows) {
    const [format, perturbation] = key.split("|");
    const external = toolNames
      .map((name) => (format === "unified-diff" ? ` ${cell(tally.counts[name])} |` : " – | – | – |"))
      .join("");
    lines.push(
      `| ${format} | ${perturbation} | ${tally.cases} | ${cell(tally.counts.hierocode)} |${external}`,
    );
    totalCases += tally.cases;
    for (const [name, counts] of Object.entries(tally.counts)) {
      if (name !== "hierocode" && format !== "unified-diff") continue;
      const total = totals[name] ?? emptyCounts();
      totals[name] = total;
      total.exact += counts.exact;
      total.refused += counts.refused;
      total.wrong += counts.wrong;
    }
  }
  lines.push(
    `| **all** | | ${totalCases} | ${cell(totals.hierocode)} |${toolNames.map((name) => ` ${cell(totals[name])} |`).join("")}`,
  );
  lines.push("");
  lines.push(
    "exact = the file became exactly the intended file; refused = left untouched (reported as failed);",
  );
  lines.push(
    'WRONG = the file was changed into something other than the intended file. For "ambiguous duplicate" and',
  );
  lines.push(
    '"elided (lazy) content", "stale hunk" and "placeholder comment" rows refusal is the only right answer;',
  );
  lines.push(
    'for "already applied" the right result is the file unchanged. git/patch columns: unified-diff rows only.',
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}

main();
