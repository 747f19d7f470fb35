import { describe, expect, it } from "vitest";
import { extractJson, findClosingBracket, readModelJson } from "../../src/providers/json-output.js";

describe("extractJson", () => {
  const cases: Array<[string, string, unknown]> = [
    ["plain object", '{"a":1}', { a: 1 }],
    ["surrounding whitespace", '\n  {"a":1}\n', { a: 1 }],
    ["json fence", 'Sure:\n```json\n{"a":[1,2]}\n```\nDone.', { a: [1, 2] }],
    ["bare fence", '```\n{"b":true}\n```', { b: true }],
    ["prose around", 'The plan is {"units": ["x"]} as requested.', { units: ["x"] }],
    [
      "brace inside a string",
      'Result: {"code": "if (a) { return \\"}\\"; }"} end',
      { code: 'if (a) { return "}"; }' },
    ],
    ["first candidate invalid", 'use {braces} like {"ok": 1}', { ok: 1 }],
    ["array", "list: [1, 2, 3]", [1, 2, 3]],
  ];
  it.each(cases)("%s", (_name, text, expected) => {
    const result = extractJson(text);
    expect(result.ok).toBe(true);
    expect(result.ok && result.value).toEqual(expected);
  });

  it("fails when there is no complete JSON value", () => {
    expect(extractJson("no json here").ok).toBe(false);
    expect(extractJson('{"a": "unterminated').ok).toBe(false);
  });

  it("finds closing brackets string-aware", () => {
    expect(findClosingBracket('{"a":"]}"}x', 0)).toBe(10);
    expect(findClosingBracket("{[}", 0)).toBe(-1);
  });
});

describe("readModelJson (one reader for every JSON answer)", () => {
  const isPlan = (value: unknown) => {
    const units = (value as { units?: unknown[] }).units;
    return Array.isArray(units) && units.length > 0
      ? { ok: true as const, value }
      : { ok: false as const, problems: ["units: Too small: expected array to have >=1 items"] };
  };

  it("takes the last complete value that validates over an earlier sketch", () => {
    const reply =
      'First a sketch: {"summary": "...", "units": []}\nNow the plan:\n{"summary": "s", "units": [{"id": "u1"}]}';
    const read = readModelJson(reply, isPlan);
    expect(read.ok && read.value).toEqual({ summary: "s", units: [{ id: "u1" }] });
  });

  it("never reads the reasoning: a sketch inside <think> is ignored", () => {
    const reply =
      '<think>maybe {"action":"accept","confidence":0.9}</think>\n{"action":"revise","confidence":0.8}';
    const read = readModelJson(reply);
    expect(read.ok && read.value).toEqual({ action: "revise", confidence: 0.8 });
  });

  it.each([
    ["a trailing comma in a ```json fence", '```json\n{"units": [{"id": "u1"},],}\n```'],
    ["comments and single quotes", "{\n  // the plan\n  'units': [{'id': 'u1'}]\n}"],
    ["unquoted keys", "{units: [{id: 'u1'}]}"],
  ])("repairs %s with jsonrepair and says so", (_name, reply) => {
    const read = readModelJson(reply, isPlan);
    expect(read.ok).toBe(true);
    if (read.ok) {
      expect(read.value).toEqual({ units: [{ id: "u1" }] });
      expect(read.repairs[0]).toMatch(/repaired the JSON syntax/);
    }
  });

  it("names the schema path when JSON was found but does not validate", () => {
    const read = readModelJson('{"summary": "s", "units": []}', isPlan);
    expect(read.ok).toBe(false);
    if (!read.ok)
      expect(read.error).toBe(
        "the JSON does not match the schema: units: Too small: expected array to have >=1 items",
      );
  });

  it("names the line and column of a syntax error it cannot repair", () => {
    const read = readModelJson('Here:\n{"a": 1,\n  "b": [1, 2}\n');
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.error).toMatch(/line \d+ column \d+/);
  });

  it("says when the JSON is cut off", () => {
    const read = readModelJson('Plan:\n{"summary": "s", "units": [');
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.error).toMatch(/starting at line 2 column 1 is never closed/);
  });
});
