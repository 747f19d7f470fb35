/**
 * Evaluation results as the router's priors. The suites' tasks are small single-file edits, so
 * a model's latest evaluation counts as evidence in the router's `trivial/edit` cell (the cell
 * keys of src/routing: `band/kind`, candidate key `provider/model`), scaled down to at most
 * `weight` pseudo-units per model so the user's own logged outcomes soon outweigh it; a newer
 * evaluation replaces an older one (see `evalPriors`).
 */
import { evalPriors } from "./report.js";

type Env = Record<string, string | undefined>;

export interface EvidenceRow {
  successes: number;
  failures: number;
}

/** cell key → candidate key → evidence, the shape of the router's evidence table. */
export type EvidenceMap = Map<string, Map<string, EvidenceRow>>;

export interface EvalEvidenceOptions {
  /** The router cell the evaluation counts in (default `trivial/edit`). */
  cell?: string;
  /** Pseudo-units one model's evaluation may weigh at most (default 6). */
  weight?: number;
  /** Only tasks of this language (default: all languages). */
  language?: string;
}

/**
 * Each evaluated model's passes as `{successes, failures}` in one cell, scaled so that
 * successes + failures ≤ `weight` (the pass rate is kept). Models with no trials are left out.
 */
export function evalEvidence(env: Env, options: EvalEvidenceOptions = {}): EvidenceMap {
  const cell = options.cell ?? "trivial/edit";
  const weight = options.weight ?? 6;
  const rows = new Map<string, EvidenceRow>();
  for (const prior of evalPriors(env)) {
    let successes = 0;
    let trials = 0;
    for (const [language, counts] of Object.entries(prior.languages)) {
      if (options.language && language !== options.language) continue;
      successes += counts.successes;
      trials += counts.trials;
    }
    if (trials === 0) continue;
    const scale = Math.min(1, weight / trials);
    rows.set(`${prior.provider}/${prior.model}`, {
      successes: successes * scale,
      failures: (trials - successes) * scale,
    });
  }
  return rows.size > 0 ? new Map([[cell, rows]]) : new Map();
}

/** Adds `evalEvidence(env, options)` into `table` (summing with what it holds); returns `table`. */
export function addEvalEvidence<T extends EvidenceMap>(
  table: T,
  env: Env,
  options: EvalEvidenceOptions = {},
): T {
  for (const [cell, rows] of evalEvidence(env, options)) {
    const target = table.get(cell) ?? new Map<string, EvidenceRow>();
    table.set(cell, target);
    for (const [key, row] of rows) {
      const current = target.get(key) ?? { successes: 0, failures: 0 };
      target.set(key, {
        successes: current.successes + row.successes,
        failures: current.failures + row.failures,
      });
    }
  }
  return table;
}
