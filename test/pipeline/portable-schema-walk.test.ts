/**
 * The structured-output schemas hierocode sends are the subset every backend accepts: no
 * `$schema`/`$id` (the claude CLI rejects a 2020-12 meta-schema URI), no numeric/string-length
 * constraints (Anthropic), closed objects with every property required (OpenAI strict mode).
 * test/providers/real-cli-contract.test.ts runs them through the real claude and codex too.
 */
import { describe, expect, it } from "vitest";
import { planJsonSchema } from "../../src/pipeline/plan-schema.js";
import { verdictJsonSchema } from "../../src/pipeline/review-schema.js";

const forbidden = [
  "$schema",
  "$id",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minItems",
  "maxItems",
  "default",
];

function walk(node: unknown, path: string, problems: string[]): void {
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) walk(item, `${path}[${index}]`, problems);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  for (const key of forbidden) if (key in record) problems.push(`${path}: ${key}`);
  if (record.type === "object") {
    const properties = Object.keys((record.properties as object) ?? {});
    if (record.additionalProperties !== false) problems.push(`${path}: object not closed`);
    const required = new Set((record.required as string[]) ?? []);
    for (const name of properties) if (!required.has(name)) problems.push(`${path}.${name}: not required`);
    for (const [name, child] of Object.entries((record.properties as object) ?? {}))
      walk(child, `${path}.${name}`, problems);
  }
  if (record.items) walk(record.items, `${path}[]`, problems);
}

describe("structured-output schemas are portable", () => {
  it.each([
    ["plan", planJsonSchema()],
    ["review verdict", verdictJsonSchema()],
  ])("%s", (_name, schema) => {
    const problems: string[] = [];
    walk(schema, "$", problems);
    expect(problems).toEqual([]);
  });
});
