/** Small statistics for evaluation reports: Wilson score intervals and nearest-rank percentiles. */

/** A proportion with its 95% Wilson score interval (Wilson 1927; z = 1.96). */
export interface Proportion {
  successes: number;
  trials: number;
  /** successes / trials, 0 when there were no trials. */
  rate: number;
  /** [low, high] of the 95% Wilson interval, [0, 1] when there were no trials. */
  interval: [number, number];
}

/**
 * The Wilson score interval for `successes` of `trials` at z (default 1.96, 95%):
 * (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n). Rounded to 4 decimals.
 */
export function wilson(successes: number, trials: number, z = 1.96): Proportion {
  if (trials <= 0) return { successes: 0, trials: 0, rate: 0, interval: [0, 1] };
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = p + z2 / (2 * trials);
  const margin = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  const round = (value: number) => Math.round(Math.min(1, Math.max(0, value)) * 10_000) / 10_000;
  return {
    successes,
    trials,
    rate: round(p),
    interval: [round((centre - margin) / denominator), round((centre + margin) / denominator)],
  };
}

/** Nearest-rank percentile (q in 0–100) of `values`; 0 for an empty list. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((q / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}
