/**
 * Option value parsers for commander (`.option(flags, description, parser, default)`): a bad value
 * is a usage error (exit 2, `error: option '--x <n>' argument 'abc' is invalid. …`) before the
 * command runs, never a NaN inside it.
 */
import { InvalidArgumentError } from "commander";

/** A whole number within [min, max]. */
export function wholeNumber(min = 1, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const parsed = Number(value.trim());
    if (value.trim() === "" || !Number.isInteger(parsed) || parsed < min || parsed > max)
      throw new InvalidArgumentError(
        `expected a whole number${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`}.`,
      );
    return parsed;
  };
}

/** A number of seconds greater than 0 (fractions allowed), at most a day. */
export function seconds(value: string): number {
  const parsed = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed <= 0 || parsed > 86_400)
    throw new InvalidArgumentError("expected a number of seconds greater than 0 (e.g. 10 or 2.5).");
  return parsed;
}
