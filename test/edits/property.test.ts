import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyEditsInMemory, type FileChange, parseEdits, renderUnifiedDiff } from "../../src/edits/index.js";

// A small alphabet makes duplicate lines (and so ambiguous placements) common; the tricky entries
// look like diff syntax once prefixed.
const LINE = fc.constantFrom(
  "a",
  "b",
  "c",
  "    d = 1",
  "\tindented",
  "",
  "  ",
  "}",
  "-- sql",
  "++ plus",
  "@@ at",
  "x".repeat(40),
  "é ü 漢字",
);

const fileContent = fc
  .record({
    lines: fc.array(LINE, { maxLength: 25 }),
    crlf: fc.boolean(),
    finalNewline: fc.boolean(),
  })
  .map(({ lines, crlf, finalNewline }) => ({ lines, crlf, finalNewline }));

const operation = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 4 }),
  insert: fc.array(LINE, { maxLength: 4 }),
});

interface Sample {
  before: string | null;
  after: string | null;
}

function render(lines: string[], crlf: boolean, finalNewline: boolean): string {
  if (lines.length === 0) return "";
  const eol = crlf ? "\r\n" : "\n";
  return lines.join(eol) + (finalNewline ? eol : "");
}

const sample: fc.Arbitrary<Sample> = fc
  .record({
    file: fileContent,
    operations: fc.array(operation, { minLength: 1, maxLength: 4 }),
    afterFinalNewline: fc.boolean(),
    kind: fc.constantFrom("modify", "modify", "modify", "modify", "create", "delete"),
  })
  .map(({ file, operations, afterFinalNewline, kind }) => {
    const edited = [...file.lines];
    for (const step of operations) {
      const at = edited.length === 0 ? 0 : step.at % (edited.length + 1);
      edited.splice(at, step.remove, ...step.insert);
    }
    const before = render(file.lines, file.crlf, file.finalNewline);
    const after = render(edited, file.crlf, afterFinalNewline);
    if (kind === "create") return { before: null, after };
    if (kind === "delete") return { before, after: null };
    return { before, after };
  });

const FILE = "pkg/nested/dir/file.txt";

function roundTrip(change: FileChange): string | null | "failed" {
  const diff = renderUnifiedDiff([change]);
  const parsed = parseEdits(diff);
  if (parsed.problems.length > 0) return "failed";
  const result = applyEditsInMemory(parsed.edits, (file) => (file === FILE ? change.before : null));
  if (!result.ok) return "failed";
  const written = result.changes.find((entry) => entry.file === FILE);
  return written ? written.after : change.before;
}

describe("renderUnifiedDiff → parseEdits → applyEditsInMemory", () => {
  it("reproduces the edited file exactly", () => {
    fc.assert(
      fc.property(sample, ({ before, after }) => {
        fc.pre(before !== after);
        const change = { file: FILE, before, after };
        expect(roundTrip(change), renderUnifiedDiff([change])).toBe(after);
      }),
      { numRuns: 400, seed: 20261121 },
    );
  });
});

describe("git apply agrees with our diffs", () => {
  let repo = "";
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), "hierocode-edits-git-"));
    execFileSync("git", ["init", "-q", repo]);
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it("git apply --check accepts the diff and git apply produces the same file", () => {
    fc.assert(
      fc.property(sample, ({ before, after }) => {
        fc.pre(before !== after);
        const target = join(repo, FILE);
        rmSync(join(repo, "pkg"), { recursive: true, force: true });
        if (before !== null) {
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, before);
        }
        const diff = renderUnifiedDiff([{ file: FILE, before, after }]);
        const patch = join(repo, "change.patch");
        writeFileSync(patch, diff);
        execFileSync("git", ["apply", "--check", "change.patch"], { cwd: repo, stdio: "pipe" });
        execFileSync("git", ["apply", "change.patch"], { cwd: repo, stdio: "pipe" });
        const gitResult = existsSync(target) ? readFileSync(target, "utf8") : null;
        expect(gitResult, diff).toBe(after);
        expect(roundTrip({ file: FILE, before, after })).toBe(gitResult);
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});
