/** `hierocode cache clear`: forget every cached plan. */
import { openStateDatabase, stateDatabasePath } from "../store/database.js";
import { planCache } from "../store/plan-cache.js";

export function clearPlanCache(env: Record<string, string | undefined>): {
  removed: number;
  database: string;
} {
  const removed = planCache(openStateDatabase(env)).clear();
  return { removed, database: stateDatabasePath(env) };
}

export function planCacheSize(env: Record<string, string | undefined>): number {
  return planCache(openStateDatabase(env)).count();
}
