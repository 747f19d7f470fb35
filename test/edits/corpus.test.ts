import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { applyEditsInMemory, failureReport, parseEdits } from "../../src/edits/index.js";

interface CorpusCase {
  name: string;
  files: Record<string, string>;
  crlf?: string[];
  bom?: string[];
  partial?: boolean;
  options?: { defaultFile?: string; knownFiles?: string[] };
  reply: string;
  expect: {
    ok: boolean;
    strategies?: string[];
    files?: Record<string, string | null>;
    failed?: { index: number; reason: string; didYouMean?: string }[];
    problems?: string[];
  };
}

const corpus = parse(
  readFileSync(new URL("./fixtures/corpus.yaml", import.meta.url), "utf8"),
) as CorpusCase[];

function encode(path: string, content: string, testCase: CorpusCase): string {
  let result = testCase.crlf?.includes(path) ? content.replace(/\n/g, "\r\n") : content;
  if (testCase.bom?.includes(path)) result = `\uFEFF${result}`;
  return result;
}

describe("edit corpus of malformed model replies", () => {
  it("has a broad corpus", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  for (const testCase of corpus) {
    it(testCase.name, () => {
      const files = new Map(
        Object.entries(testCase.files).map(([path, content]) => [path, encode(path, content, testCase)]),
      );
      const parsed = parseEdits(testCase.reply, testCase.options ?? {});
      const result = applyEditsInMemory(parsed.edits, (file) => files.get(file) ?? null, {
        partial: testCase.partial ?? false,
      });
      const context = `${JSON.stringify(parsed, null, 1)}\n${failureReport(result)}`;

      for (const fragment of testCase.expect.problems ?? []) {
        expect(parsed.problems.map((problem) => problem.reason).join("\n"), context).toContain(fragment);
      }
      if (!testCase.expect.problems) expect(parsed.problems, context).toEqual([]);
      expect(result.ok && parsed.problems.length === 0, context).toBe(testCase.expect.ok);

      const failed = result.outcomes.filter((outcome) => outcome.status === "failed");
      expect(
        failed.map((outcome) => outcome.index),
        context,
      ).toEqual((testCase.expect.failed ?? []).map((entry) => entry.index));
      for (const wanted of testCase.expect.failed ?? []) {
        const outcome = failed.find((entry) => entry.index === wanted.index);
        expect(outcome?.reason, context).toContain(wanted.reason);
        if (wanted.didYouMean) expect(outcome?.didYouMean, context).toContain(wanted.didYouMean);
      }
      if (testCase.expect.strategies) {
        expect(
          result.outcomes.map((outcome) => outcome.strategy),
          context,
        ).toEqual(testCase.expect.strategies);
      }

      const after = new Map(files);
      for (const change of result.changes) {
        expect(change.before, `before of ${change.file}`).toBe(files.get(change.file) ?? null);
        if (change.after === null) after.delete(change.file);
        else after.set(change.file, change.after);
      }
      if (!result.ok && !testCase.partial) expect(result.changes).toEqual([]);
      for (const [path, content] of Object.entries(testCase.expect.files ?? {})) {
        expect(after.get(path) ?? null, `${path}\n${context}`).toBe(
          content === null ? null : encode(path, content, testCase),
        );
      }
    });
  }
});
