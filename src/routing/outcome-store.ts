/**
 * The user-level routing store: `learning.db` in the XDG data folder (`$XDG_DATA_HOME/hierocode`,
 * or `HIEROCODE_DATA_DIR`), shared by every project of the user. Two tables:
 *
 * - `route_decisions`: every router decision (run, unit, mode, cell, complexity features, the
 *   candidates with their posteriors and costs, the chosen one and its propensity);
 * - `unit_outcomes`: one row per unit at the end of a run (verdicts, revisions, escalation, edit
 *   failures, verification before/after, tokens, seconds, dollars, messages, model), plus the
 *   user's own judgement (`hierocode outcome log`), which outweighs the automatic one.
 *
 * Opened through `openDatabase` (busy timeout first, WAL). Task and goal text pass through the
 * same redaction as the run logs before they are stored.
 */
import { join } from "node:path";
import { dataDir } from "../config/paths.js";
import { type Database, ensureSchema, openDatabase } from "../store/database.js";
import type { ComplexityBand, ComplexityFeature, UnitKind } from "./complexity.js";
import { candidateKey, cellKey, type EvidenceTable } from "./router.js";

const ddl = `CREATE TABLE IF NOT EXISTS route_decisions (
  run_id TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  project TEXT NOT NULL,
  mode TEXT NOT NULL,
  cell TEXT NOT NULL,
  complexity REAL NOT NULL,
  features TEXT NOT NULL,
  unit TEXT NOT NULL,
  candidates TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  propensity REAL NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (run_id, unit_id)
);
CREATE TABLE IF NOT EXISTS unit_outcomes (
  run_id TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  project TEXT NOT NULL,
  task TEXT NOT NULL,
  goal TEXT NOT NULL,
  band TEXT NOT NULL,
  kind TEXT NOT NULL,
  complexity REAL NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  status TEXT NOT NULL,
  auto_success INTEGER NOT NULL,
  user_success INTEGER,
  feedback REAL,
  note TEXT,
  verdicts INTEGER NOT NULL,
  revisions INTEGER NOT NULL,
  escalated INTEGER NOT NULL,
  edit_failures INTEGER NOT NULL,
  verify_before TEXT,
  verify_after TEXT,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  seconds REAL NOT NULL,
  cost_usd REAL,
  messages INTEGER NOT NULL,
  PRIMARY KEY (run_id, unit_id)
);
CREATE INDEX IF NOT EXISTS unit_outcomes_at ON unit_outcomes (at);`;

export interface DecisionRow {
  runId: string;
  unitId: string;
  at: number;
  project: string;
  mode: string;
  cell: string;
  complexity: number;
  features: ComplexityFeature[];
  /** The RouteUnit the router saw (JSON). */
  unit: unknown;
  /** The candidates with costs, posteriors and propensities (JSON). */
  candidates: unknown;
  provider: string;
  model: string;
  propensity: number;
  reason: string;
}

export interface OutcomeRow {
  runId: string;
  unitId: string;
  at: number;
  project: string;
  task: string;
  goal: string;
  band: ComplexityBand;
  kind: UnitKind;
  complexity: number;
  provider: string;
  model: string;
  status: string;
  autoSuccess: boolean;
  userSuccess?: boolean;
  feedback?: number;
  note?: string;
  verdicts: number;
  revisions: number;
  escalated: boolean;
  editFailures: number;
  /** "pass" | "fail" | "error" | "none" of the verify command before / after the run. */
  verifyBefore?: string;
  verifyAfter?: string;
  inputTokens: number;
  outputTokens: number;
  seconds: number;
  costUsd?: number;
  messages: number;
}

/** `learning.db` in the data folder. */
export function learningDatabasePath(env: Record<string, string | undefined> = process.env): string {
  return join(dataDir(env), "learning.db");
}

export function openLearningDatabase(env: Record<string, string | undefined> = process.env): Database {
  const database = openDatabase(learningDatabasePath(env));
  ensureSchema(database, "routing_outcomes", ddl);
  return database;
}

/** The success a unit counts as for learning: the user's judgement when given, else the automatic one. */
export function effectiveSuccess(row: Pick<OutcomeRow, "autoSuccess" | "userSuccess">): boolean {
  return row.userSuccess ?? row.autoSuccess;
}

/** A user's judgement weighs this many automatic outcomes. */
export const userWeight = 2;

type SqlRow = Record<string, unknown>;

function toOutcome(row: SqlRow): OutcomeRow {
  const optional = <T>(key: string, value: T | null | undefined) =>
    value === null || value === undefined ? {} : { [key]: value };
  return {
    runId: String(row.run_id),
    unitId: String(row.unit_id),
    at: Number(row.at),
    project: String(row.project),
    task: String(row.task),
    goal: String(row.goal),
    band: String(row.band) as ComplexityBand,
    kind: String(row.kind) as UnitKind,
    complexity: Number(row.complexity),
    provider: String(row.provider),
    model: String(row.model),
    status: String(row.status),
    autoSuccess: Number(row.auto_success) === 1,
    ...optional("userSuccess", row.user_success === null ? null : Number(row.user_success) === 1),
    ...optional("feedback", row.feedback as number | null),
    ...optional("note", row.note as string | null),
    verdicts: Number(row.verdicts),
    revisions: Number(row.revisions),
    escalated: Number(row.escalated) === 1,
    editFailures: Number(row.edit_failures),
    ...optional("verifyBefore", row.verify_before as string | null),
    ...optional("verifyAfter", row.verify_after as string | null),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    seconds: Number(row.seconds),
    ...optional("costUsd", row.cost_usd as number | null),
    messages: Number(row.messages),
  } as OutcomeRow;
}

export interface OutcomeStore {
  recordDecision(row: DecisionRow): void;
  /** Inserts or replaces the automatic part of a unit's outcome; a user judgement already given is kept. */
  recordOutcome(row: OutcomeRow): void;
  /** The user's judgement; false when no outcome of that run and unit exists. */
  judge(
    runId: string,
    unitId: string,
    judgement: { success: boolean; feedback?: number; note?: string },
  ): boolean;
  list(options?: { since?: number; runId?: string }): OutcomeRow[];
  decisions(options?: { since?: number }): DecisionRow[];
  /**
   * Decayed evidence per cell and candidate: each outcome weighs 0.5^(age / half-life), a user's
   * judgement `userWeight` times that, split by `feedback` when the user judged a success (feedback 0.8 → 0.8 of a success).
   */
  evidence(options: { now: number; halfLifeDays: number }): EvidenceTable;
}

export function outcomeStore(database: Database): OutcomeStore {
  ensureSchema(database, "routing_outcomes", ddl);
  return {
    recordDecision(row) {
      database
        .prepare(
          `INSERT OR REPLACE INTO route_decisions (run_id, unit_id, at, project, mode, cell, complexity, features, unit, candidates, provider, model, propensity, reason)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          row.runId,
          row.unitId,
          row.at,
          row.project,
          row.mode,
          row.cell,
          row.complexity,
          JSON.stringify(row.features),
          JSON.stringify(row.unit),
          JSON.stringify(row.candidates),
          row.provider,
          row.model,
          row.propensity,
          row.reason,
        );
    },
    recordOutcome(row) {
      database
        .prepare(
          `INSERT INTO unit_outcomes (run_id, unit_id, at, project, task, goal, band, kind, complexity, provider, model, status, auto_success,
             verdicts, revisions, escalated, edit_failures, verify_before, verify_after, input_tokens, output_tokens, seconds, cost_usd, messages)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (run_id, unit_id) DO UPDATE SET at = excluded.at, status = excluded.status, auto_success = excluded.auto_success,
             provider = excluded.provider, model = excluded.model, verdicts = excluded.verdicts, revisions = excluded.revisions,
             escalated = excluded.escalated, edit_failures = excluded.edit_failures, verify_before = excluded.verify_before,
             verify_after = excluded.verify_after, input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
             seconds = excluded.seconds, cost_usd = excluded.cost_usd, messages = excluded.messages`,
        )
        .run(
          row.runId,
          row.unitId,
          row.at,
          row.project,
          row.task,
          row.goal,
          row.band,
          row.kind,
          row.complexity,
          row.provider,
          row.model,
          row.status,
          row.autoSuccess ? 1 : 0,
          row.verdicts,
          row.revisions,
          row.escalated ? 1 : 0,
          row.editFailures,
          row.verifyBefore ?? null,
          row.verifyAfter ?? null,
          row.inputTokens,
          row.outputTokens,
          row.seconds,
          row.costUsd ?? null,
          row.messages,
        );
    },
    judge(runId, unitId, judgement) {
      const result = database
        .prepare(
          "UPDATE unit_outcomes SET user_success = ?, feedback = ?, note = ? WHERE run_id = ? AND unit_id = ?",
        )
        .run(judgement.success ? 1 : 0, judgement.feedback ?? null, judgement.note ?? null, runId, unitId);
      return Number(result.changes) > 0;
    },
    list(options = {}) {
      const rows = database
        .prepare(
          `SELECT * FROM unit_outcomes WHERE at >= ? AND (? IS NULL OR run_id = ?) ORDER BY at, run_id, unit_id`,
        )
        .all(options.since ?? 0, options.runId ?? null, options.runId ?? null) as SqlRow[];
      return rows.map(toOutcome);
    },
    decisions(options = {}) {
      const rows = database
        .prepare("SELECT * FROM route_decisions WHERE at >= ? ORDER BY at, run_id, unit_id")
        .all(options.since ?? 0) as SqlRow[];
      return rows.map((row) => ({
        runId: String(row.run_id),
        unitId: String(row.unit_id),
        at: Number(row.at),
        project: String(row.project),
        mode: String(row.mode),
        cell: String(row.cell),
        complexity: Number(row.complexity),
        features: JSON.parse(String(row.features)) as ComplexityFeature[],
        unit: JSON.parse(String(row.unit)) as unknown,
        candidates: JSON.parse(String(row.candidates)) as unknown,
        provider: String(row.provider),
        model: String(row.model),
        propensity: Number(row.propensity),
        reason: String(row.reason),
      }));
    },
    evidence({ now, halfLifeDays }) {
      const table: EvidenceTable = new Map();
      for (const row of this.list()) {
        const ageDays = Math.max(0, now - row.at) / 86_400_000;
        const decay = 0.5 ** (ageDays / halfLifeDays);
        const judged = row.userSuccess !== undefined;
        const weight = decay * (judged ? userWeight : 1);
        // A user's "success" with feedback 0.8 counts 0.8 of a success; "failure" counts as none.
        const share = judged ? (row.userSuccess ? (row.feedback ?? 1) : 0) : row.autoSuccess ? 1 : 0;
        const cell = cellKey(row.band, row.kind);
        const rows = table.get(cell) ?? new Map();
        table.set(cell, rows);
        const key = candidateKey(row);
        const evidence = rows.get(key) ?? { successes: 0, failures: 0 };
        rows.set(key, evidence);
        evidence.successes += weight * share;
        evidence.failures += weight * (1 - share);
      }
      return table;
    },
  };
}
