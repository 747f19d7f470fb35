/**
 * Cached plans in the state database, keyed on everything a plan depends on (see
 * pipeline/planner.ts `planCacheKey`). There is no expiry: a key changes whenever anything the
 * plan depends on changes, and `hierocode cache clear` empties the table.
 */
import type { Plan } from "../pipeline/plan-schema.js";
import { planSchema } from "../pipeline/plan-schema.js";
import type { PlanCacheStore } from "../pipeline/ports.js";
import { type Database, ensureSchema } from "./database.js";

const ddl = `CREATE TABLE IF NOT EXISTS plan_cache (
  key TEXT PRIMARY KEY,
  plan_json TEXT NOT NULL,
  task TEXT NOT NULL,
  planner_model TEXT NOT NULL,
  drafter_model TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  hits INTEGER NOT NULL DEFAULT 0
)`;

export function planCache(
  database: Database,
  now: () => number = Date.now,
): PlanCacheStore & {
  clear(): number;
  count(): number;
} {
  ensureSchema(database, "plan_cache", ddl);
  return {
    get(key) {
      const row = database.prepare("SELECT plan_json FROM plan_cache WHERE key = ?").get(key) as
        | { plan_json: string }
        | undefined;
      if (!row) return undefined;
      const parsed = planSchema.safeParse(JSON.parse(row.plan_json));
      if (!parsed.success) return undefined;
      database.prepare("UPDATE plan_cache SET hits = hits + 1 WHERE key = ?").run(key);
      return parsed.data as Plan;
    },
    put(key, plan, meta) {
      database
        .prepare(
          "INSERT OR REPLACE INTO plan_cache (key, plan_json, task, planner_model, drafter_model, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .run(key, JSON.stringify(plan), meta.task, meta.plannerModel, meta.drafterModel, now());
    },
    clear() {
      const result = database.prepare("DELETE FROM plan_cache").run();
      return Number(result.changes);
    },
    count() {
      return Number((database.prepare("SELECT COUNT(*) AS n FROM plan_cache").get() as { n: number }).n);
    },
  };
}
