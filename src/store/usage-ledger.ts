/**
 * The usage ledger: one row per model call (role, provider, model, tokens incl. cache, cost,
 * latency, outcome, run). Summaries per role and per subscription window read it across sessions.
 */
import type { UsageRecord, UsageSink } from "../pipeline/ports.js";
import { type Database, ensureSchema } from "./database.js";

const ddl = `CREATE TABLE IF NOT EXISTS usage_ledger (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  role TEXT NOT NULL,
  provider TEXT NOT NULL,
  provider_type TEXT NOT NULL,
  model TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cost_usd REAL,
  subscription_messages INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  purpose TEXT NOT NULL,
  unit_id TEXT
);
CREATE INDEX IF NOT EXISTS usage_ledger_at ON usage_ledger (at);
CREATE INDEX IF NOT EXISTS usage_ledger_run ON usage_ledger (run_id);`;

export interface UsageGroup {
  role: string;
  provider: string;
  providerType: string;
  model: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Undefined when some call had no known price. */
  costUsd: number | undefined;
  subscriptionMessages: number;
  latencyMs: number;
  errors: number;
}

export interface UsageLedger extends UsageSink {
  summary(options?: { since?: number; runId?: string }): UsageGroup[];
  /** Subscription messages of one provider type since a time (for quota windows). */
  messagesSince(providerType: string, since: number): { messages: number; oldest: number | undefined };
  runs(options?: { since?: number }): Array<{ runId: string; first: number; calls: number }>;
}

export function usageLedger(database: Database): UsageLedger {
  ensureSchema(database, "usage_ledger", ddl);
  const insert = database.prepare(
    `INSERT INTO usage_ledger (run_id, at, role, provider, provider_type, model, input_tokens, output_tokens,
      cache_read_tokens, cache_write_tokens, cost_usd, subscription_messages, latency_ms, outcome, purpose, unit_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return {
    record(entry: UsageRecord) {
      insert.run(
        entry.runId,
        entry.at,
        entry.role,
        entry.provider,
        entry.providerType,
        entry.model,
        entry.inputTokens,
        entry.outputTokens,
        entry.cacheReadTokens,
        entry.cacheWriteTokens,
        entry.costUsd ?? null,
        entry.subscriptionMessages,
        Math.round(entry.latencyMs),
        entry.outcome,
        entry.purpose,
        entry.unitId ?? null,
      );
    },
    summary(options = {}) {
      const rows = database
        .prepare(
          `SELECT role, provider, provider_type, model, COUNT(*) AS calls,
             SUM(input_tokens) AS input, SUM(output_tokens) AS output,
             SUM(cache_read_tokens) AS cache_read, SUM(cache_write_tokens) AS cache_write,
             SUM(cost_usd) AS cost, SUM(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END) AS unpriced,
             SUM(subscription_messages) AS messages, SUM(latency_ms) AS latency,
             SUM(CASE WHEN outcome = 'ok' THEN 0 ELSE 1 END) AS errors
           FROM usage_ledger WHERE at >= ? AND (? IS NULL OR run_id = ?)
           GROUP BY role, provider, provider_type, model ORDER BY role, provider, model`,
        )
        .all(options.since ?? 0, options.runId ?? null, options.runId ?? null) as Array<
        Record<string, number | string | null>
      >;
      return rows.map((row) => ({
        role: String(row.role),
        provider: String(row.provider),
        providerType: String(row.provider_type),
        model: String(row.model),
        calls: Number(row.calls),
        inputTokens: Number(row.input ?? 0),
        outputTokens: Number(row.output ?? 0),
        cacheReadTokens: Number(row.cache_read ?? 0),
        cacheWriteTokens: Number(row.cache_write ?? 0),
        costUsd: Number(row.unpriced) > 0 ? undefined : Number(row.cost ?? 0),
        subscriptionMessages: Number(row.messages ?? 0),
        latencyMs: Number(row.latency ?? 0),
        errors: Number(row.errors ?? 0),
      }));
    },
    messagesSince(providerType, since) {
      const row = database
        .prepare(
          "SELECT SUM(subscription_messages) AS messages, MIN(at) AS oldest FROM usage_ledger WHERE provider_type = ? AND at >= ? AND subscription_messages > 0",
        )
        .get(providerType, since) as { messages: number | null; oldest: number | null };
      return { messages: Number(row.messages ?? 0), oldest: row.oldest ?? undefined };
    },
    runs(options = {}) {
      return (
        database
          .prepare(
            "SELECT run_id, MIN(at) AS first, COUNT(*) AS calls FROM usage_ledger WHERE at >= ? GROUP BY run_id ORDER BY first",
          )
          .all(options.since ?? 0) as Array<{ run_id: string; first: number; calls: number }>
      ).map((row) => ({ runId: row.run_id, first: Number(row.first), calls: Number(row.calls) }));
    },
  };
}
