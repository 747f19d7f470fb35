/**
 * JSON Schemas sent for structured output keep only what every backend accepts: Anthropic's
 * structured outputs reject numeric, string-length and most array-length constraints, and
 * OpenAI strict mode wants closed objects with every property required. The constraints are
 * still enforced: every answer is validated with the zod schema the JSON Schema came from.
 * No `$schema`/`$id`: the claude CLI rejects a meta-schema URI it does not bundle (2020-12).
 * test/providers/real-cli-contract.test.ts runs these schemas through the real CLIs.
 */
import type { JsonSchema } from "../providers/spec.js";

const dropped = new Set([
  // The claude CLI (2.1.x) compiles --json-schema with a validator that knows no draft-2020-12
  // meta-schema: any "$schema" makes it exit 1 before the login check (issue 9).
  "$schema",
  "$id",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minItems",
  "maxItems",
  "uniqueItems",
  "default",
]);

export function portableSchema(schema: JsonSchema): JsonSchema {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (dropped.has(key)) continue;
      // `properties` maps names to schemas: its keys are field names, never keywords.
      out[key] =
        key === "properties"
          ? Object.fromEntries(Object.entries(item as object).map(([name, child]) => [name, strip(child)]))
          : strip(item);
    }
    return out;
  };
  return strip(schema) as JsonSchema;
}
