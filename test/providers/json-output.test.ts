import { describe, expect, it } from "vitest";
import { extractJson, findClosingBracket } from "../../src/providers/json-output.js";

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
