import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  learningDatabasePath,
  type OutcomeRow,
  openLearningDatabase,
  outcomeStore,
} from "../../src/routing/outcome-store.js";
import { closeAllDatabases } from "../../src/store/database.js";

const day = 86_400_000;
let folder: string | undefined;

afterEach(() => {
  closeAllDatabases();
  if (folder) rmSync(folder, { recursive: true, force: true });
  folder = undefined;
});

function store() {
  folder = mkdtempSync(join(tmpdir(), "hc-learning-"));
  const env = { HIEROCODE_DATA_DIR: folder };
  expect(learningDatabasePath(env)).toBe(join(folder, "learning.db"));
  return outcomeStore(openLearningDatabase(env));
}

const row = (runId: string, at: number, autoSuccess: boolean): OutcomeRow => ({
  runId,
  unitId: "u1",
  at,
  project: "/repo",
  task: "t",
  goal: "g",
  band: "simple",
  kind: "edit",
  complexity: 3,
  provider: "local",
  model: "m",
  status: autoSuccess ? "accepted" : "failed",
  autoSuccess,
  verdicts: 1,
  revisions: 0,
  escalated: false,
  editFailures: 0,
  inputTokens: 10,
  outputTokens: 5,
  seconds: 1,
  messages: 0,
});

describe("outcome store", () => {
  it("decays old evidence by the half-life", () => {
    const outcomes = store();
    const now = 100 * day;
    outcomes.recordOutcome(row("fresh", now, true));
    outcomes.recordOutcome(row("old", now - 30 * day, false));
    const evidence = outcomes.evidence({ now, halfLifeDays: 30 }).get("simple/edit")?.get("local/m");
    expect(evidence?.successes).toBeCloseTo(1, 6);
    expect(evidence?.failures).toBeCloseTo(0.5, 6);
  });

  it("lets the user's judgement replace and outweigh the automatic one, and keeps it on a rewrite", () => {
    const outcomes = store();
    outcomes.recordOutcome(row("r1", 0, true));
    expect(outcomes.judge("r1", "u1", { success: true, feedback: 0.8, note: "ok" })).toBe(true);
    let evidence = outcomes.evidence({ now: 0, halfLifeDays: 30 }).get("simple/edit")?.get("local/m");
    expect(evidence?.successes).toBeCloseTo(1.6, 6);
    expect(evidence?.failures).toBeCloseTo(0.4, 6);
    // A resumed run rewrites the automatic part; the user's judgement stays.
    outcomes.recordOutcome(row("r1", 0, false));
    expect(outcomes.list()[0]).toMatchObject({
      autoSuccess: false,
      userSuccess: true,
      feedback: 0.8,
      note: "ok",
    });
    expect(outcomes.judge("r1", "u1", { success: false })).toBe(true);
    evidence = outcomes.evidence({ now: 0, halfLifeDays: 30 }).get("simple/edit")?.get("local/m");
    expect(evidence).toEqual({ successes: 0, failures: 2 });
    expect(outcomes.judge("nope", "u1", { success: true })).toBe(false);
  });

  it("filters the list by time and run", () => {
    const outcomes = store();
    outcomes.recordOutcome(row("a", 10, true));
    outcomes.recordOutcome(row("b", 20, true));
    expect(outcomes.list({ since: 15 }).map((item) => item.runId)).toEqual(["b"]);
    expect(outcomes.list({ runId: "a" }).map((item) => item.runId)).toEqual(["a"]);
  });
});
