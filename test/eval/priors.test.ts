/** Saved evaluation reports become router priors: latest run per model, per language, scaled evidence. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addEvalEvidence, evalEvidence } from "../../src/eval/priors.js";
import { evalPriors, saveReport } from "../../src/eval/report.js";
import { summarize, type TaskResult } from "../../src/eval/run.js";
import { percentile, wilson } from "../../src/eval/stats.js";

let dir: string;
let env: Record<string, string>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "haco-evalpriors-"));
  env = { HIEROCODE_STATE_DIR: dir };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const result = (id: string, language: string, passed: boolean): TaskResult => ({
  id,
  language,
  passed,
  well_formed: true,
  truncated: false,
  latency_ms: 100,
  tokens_in: 10,
  tokens_out: 5,
});

describe("eval priors", () => {
  it("uses each model's latest run and scales it to the given weight", () => {
    const model = { provider: "local", model: "m:7b" };
    const old = summarize(model, [result("a", "python", false), result("b", "python", false)]);
    saveReport(env, { version: 1, at: "2026-01-01T00:00:00.000Z", suite: "builtin", models: [old] });
    const results = [
      ...Array.from({ length: 9 }, (_, index) => result(`p${index}`, "python", index < 6)),
      ...Array.from({ length: 3 }, (_, index) => result(`t${index}`, "typescript", index < 3)),
    ];
    const newer = summarize(model, results);
    saveReport(env, { version: 1, at: "2026-02-01T00:00:00.000Z", suite: "builtin", models: [newer] });
    expect(evalPriors(env)).toEqual([
      {
        provider: "local",
        model: "m:7b",
        at: "2026-02-01T00:00:00.000Z",
        languages: { python: { successes: 6, trials: 9 }, typescript: { successes: 3, trials: 3 } },
      },
    ]);
    // 9 of 12 passed, scaled to 6 pseudo-units: 4.5 / 1.5.
    expect(evalEvidence(env).get("trivial/edit")?.get("local/m:7b")).toEqual({
      successes: 4.5,
      failures: 1.5,
    });
    expect(
      evalEvidence(env, { language: "typescript", weight: 10 }).get("trivial/edit")?.get("local/m:7b"),
    ).toEqual({
      successes: 3,
      failures: 0,
    });
    const table = new Map([["trivial/edit", new Map([["local/m:7b", { successes: 1, failures: 1 }]])]]);
    expect(addEvalEvidence(table, env).get("trivial/edit")?.get("local/m:7b")).toEqual({
      successes: 5.5,
      failures: 2.5,
    });
  });

  it("computes Wilson intervals and nearest-rank percentiles", () => {
    expect(wilson(0, 0)).toEqual({ successes: 0, trials: 0, rate: 0, interval: [0, 1] });
    expect(wilson(10, 10).interval).toEqual([0.7225, 1]);
    expect(wilson(5, 10).interval).toEqual([0.2366, 0.7634]);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 95)).toBe(5);
  });
});
