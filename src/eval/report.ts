/**
 * Evaluation reports on disk: `$XDG_STATE_HOME/hierocode/eval/<stamp>.json` and `.md` (the state
 * folder of src/config/paths.ts), the latest one and the trend across runs, and the per-model
 * results as priors for the router.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stateDir } from "../config/paths.js";
import type { ModelReport } from "./run.js";

type Env = Record<string, string | undefined>;

export interface EvalReport {
  version: 1;
  /** ISO time the run finished. */
  at: string;
  /** "builtin" or the suite file's path. */
  suite: string;
  models: ModelReport[];
}

/** The folder holding the reports. */
export function evalDir(env: Env): string {
  return join(stateDir(env), "eval");
}

function atomicWrite(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** Writes the report as JSON and Markdown (each atomically); returns both paths. */
export function saveReport(env: Env, report: EvalReport): { json: string; markdown: string } {
  const dir = evalDir(env);
  mkdirSync(dir, { recursive: true });
  const stamp = report.at.replace(/[:.]/g, "-");
  const json = join(dir, `${stamp}.json`);
  const markdown = join(dir, `${stamp}.md`);
  atomicWrite(markdown, reportMarkdown(report));
  atomicWrite(json, `${JSON.stringify(report, null, 2)}\n`);
  return { json, markdown };
}

/** Every saved report, oldest first (unreadable files skipped). */
export function listReports(env: Env): EvalReport[] {
  const dir = evalDir(env);
  if (!existsSync(dir)) return [];
  const out: EvalReport[] = [];
  for (const name of readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .sort()) {
    try {
      const parsed = JSON.parse(readFileSync(join(dir, name), "utf8")) as EvalReport;
      if (parsed.version === 1 && Array.isArray(parsed.models)) out.push(parsed);
    } catch {
      // a report being written or damaged by hand: not part of the history
    }
  }
  return out;
}

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
const ci = (interval: [number, number]) => `[${percent(interval[0])}, ${percent(interval[1])}]`;

/** The per-model table (Markdown), the same for the terminal and the .md report. */
export function modelTable(models: ModelReport[]): string {
  const lines = [
    "| model | tasks | pass@1 (95% CI) | well-formed (95% CI) | truncated | p50 ms | p95 ms | tok/s | tokens in/out |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const model of models) {
    lines.push(
      `| ${model.provider}/${model.model} | ${model.tasks} | ${percent(model.pass_at_1)} ${ci(model.pass_at_1_ci)} | ${percent(model.well_formed_rate)} ${ci(model.well_formed_ci)} | ${model.truncated} | ${model.latency_p50_ms} | ${model.latency_p95_ms} | ${model.tokens_per_s} | ${model.tokens_in}/${model.tokens_out} |`,
    );
  }
  return lines.join("\n");
}

export function reportMarkdown(report: EvalReport): string {
  const parts = [
    `# hierocode eval — ${report.at}`,
    "",
    `Suite: ${report.suite}`,
    "",
    modelTable(report.models),
    "",
  ];
  for (const model of report.models) {
    const failed = model.results.filter((result) => !result.passed);
    if (failed.length === 0) continue;
    parts.push(`## ${model.provider}/${model.model}: failed tasks`, "");
    for (const result of failed) parts.push(`- ${result.id}: ${result.reason ?? "failed"}`);
    parts.push("");
  }
  return parts.join("\n");
}

/** pass@1 per model across the saved reports, oldest first: `provider/model → [{at, pass_at_1, tasks}]`. */
export function trend(
  reports: EvalReport[],
): Map<string, Array<{ at: string; pass_at_1: number; tasks: number }>> {
  const out = new Map<string, Array<{ at: string; pass_at_1: number; tasks: number }>>();
  for (const report of reports) {
    for (const model of report.models) {
      const key = `${model.provider}/${model.model}`;
      const list = out.get(key) ?? [];
      list.push({ at: report.at, pass_at_1: model.pass_at_1, tasks: model.tasks });
      out.set(key, list);
    }
  }
  return out;
}

/** One candidate's evidence from its latest evaluation, per language. */
export interface EvalPrior {
  provider: string;
  model: string;
  /** When the evaluation ran (ISO). */
  at: string;
  languages: Record<string, { successes: number; trials: number }>;
}

/**
 * Priors for the router: for each provider/model, the per-language passes of its most recent
 * evaluation (a newer run replaces an older one; results are not summed across runs, so a
 * changed model version is judged by its latest run).
 */
export function evalPriors(env: Env): EvalPrior[] {
  const latest = new Map<string, EvalPrior>();
  for (const report of listReports(env)) {
    for (const model of report.models) {
      latest.set(`${model.provider}\u0000${model.model}`, {
        provider: model.provider,
        model: model.model,
        at: report.at,
        languages: structuredClone(model.by_language),
      });
    }
  }
  return [...latest.values()];
}
