/** The planner map's default token budget (no imports: the CLI reads it while registering options). */

/**
 * aider's rule with a higher ceiling: an eighth of the planner's window, at least 1,024 tokens,
 * at most 8,192 (aider stops at 4,096; planners here have 200k-token windows and the map is the
 * cached part of the prompt, so a larger map is cheap). Unknown window: 4,096.
 */
export function defaultMapTokens(contextWindow?: number): number {
  if (!contextWindow || contextWindow <= 0) return 4096;
  return Math.max(1024, Math.min(8192, Math.floor(contextWindow / 8)));
}
