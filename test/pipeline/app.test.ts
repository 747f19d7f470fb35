import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyChanges } from "../../src/app/run.js";
import { parseSince } from "../../src/app/usage.js";
import { UsageError } from "../../src/errors.js";
import { changesForUnits, composeChanges } from "../../src/pipeline/overlay.js";
import { responsibleUnits } from "../../src/pipeline/verify-loop.js";

function repo(): string {
  const root = mkdtempSync(join(tmpdir(), "apply-"));
  writeFileSync(join(root, "a.txt"), "a\n");
  writeFileSync(join(root, "b.txt"), "b\n");
  return root;
}

describe("applyChanges", () => {
  it("writes every change with --yes (no decide callback), creating nested folders", async () => {
    const root = repo();
    const outcome = await applyChanges(root, [
      { file: "a.txt", before: "a\n", after: "A\n" },
      { file: "deep/new/c.txt", before: null, after: "c\n" },
    ]);
    expect(outcome.written).toEqual(["a.txt", "deep/new/c.txt"]);
    expect(readFileSync(join(root, "deep/new/c.txt"), "utf8")).toBe("c\n");
  });

  it("asks per file: skip, yes to all, abort", async () => {
    const root = repo();
    const changes = [
      { file: "a.txt", before: "a\n", after: "A\n" },
      { file: "b.txt", before: "b\n", after: "B\n" },
    ];
    const asked: string[] = [];
    const skipFirst = await applyChanges(root, changes, async (change) => {
      asked.push(change.file);
      return change.file === "a.txt" ? "no" : "yes";
    });
    expect(skipFirst).toMatchObject({ written: ["b.txt"], skipped: ["a.txt"] });
    expect(readFileSync(join(root, "a.txt"), "utf8")).toBe("a\n");

    const fresh = repo();
    const aborted = await applyChanges(fresh, changes, async () => "abort");
    expect(aborted.aborted).toBe(true);
    expect(aborted.written).toEqual([]);
    expect(readFileSync(join(fresh, "a.txt"), "utf8")).toBe("a\n");

    const all = repo();
    let questions = 0;
    const everything = await applyChanges(all, changes, async () => {
      questions += 1;
      return "all";
    });
    expect(questions).toBe(1);
    expect(everything.written).toEqual(["a.txt", "b.txt"]);
  });

  it("never overwrites a file that changed since the run read it", async () => {
    const root = repo();
    writeFileSync(join(root, "a.txt"), "edited by the user\n");
    const outcome = await applyChanges(root, [{ file: "a.txt", before: "a\n", after: "A\n" }]);
    expect(outcome.conflicts).toEqual(["a.txt"]);
    expect(readFileSync(join(root, "a.txt"), "utf8")).toBe("edited by the user\n");
  });
});

describe("changesForUnits", () => {
  const accepted = [
    { id: "u1", unitId: "u1", changes: [{ file: "x", before: "0", after: "1" }] },
    {
      id: "u2",
      unitId: "u2",
      changes: [
        { file: "x", before: "1", after: "2" },
        { file: "y", before: null, after: "y" },
      ],
    },
    { id: "u3", unitId: "u3", changes: [{ file: "x", before: "2", after: "3" }] },
  ];
  it("follows each file while its units are included, stopping at the first excluded one", () => {
    expect(changesForUnits(accepted, (id) => id !== "u2")).toEqual([{ file: "x", before: "0", after: "1" }]);
    expect(changesForUnits(accepted, () => true)).toEqual([
      { file: "x", before: "0", after: "3" },
      { file: "y", before: null, after: "y" },
    ]);
    expect(changesForUnits(accepted, (id) => id === "u3")).toEqual([]);
  });

  it("composes successive change lists and drops no-ops", () => {
    expect(
      composeChanges([{ file: "x", before: "0", after: "1" }], [{ file: "x", before: "1", after: "0" }]),
    ).toEqual([]);
  });
});

describe("responsibleUnits", () => {
  const units = [
    { id: "u1", files: ["src/app/math.ts"] },
    { id: "u2", files: ["lib/strings.py"] },
  ];
  it("blames the units whose files the failure names, else all", () => {
    expect(responsibleUnits("FAIL test/math.test.ts > add", [], units)).toEqual(["u1"]);
    expect(responsibleUnits("Segmentation fault", [], units)).toEqual(["u1", "u2"]);
  });
});

describe("parseSince", () => {
  const now = Date.UTC(2026, 10, 21, 12);
  it.each([
    ["24h", now - 24 * 3_600_000],
    ["7d", now - 7 * 86_400_000],
    ["30m", now - 30 * 60_000],
    ["2026-11-01", Date.parse("2026-11-01")],
  ])("%s", (value, expected) => {
    expect(parseSince(value, now)).toBe(expected);
  });
  it("rejects nonsense", () => {
    expect(() => parseSince("yesterday-ish", now)).toThrow(UsageError);
  });
});
