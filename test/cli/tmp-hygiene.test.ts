/** The run's temporary folder (test/global-setup.ts) is where every test's temp files go. */
import { tmpdir } from "node:os";
import { basename, dirname } from "node:path";
import { expect, it } from "vitest";

it("tests write temp files inside the run's own folder, which the run removes", () => {
  expect(basename(tmpdir())).toMatch(/^hierocode-test-run-/);
  expect(process.env.TMPDIR).toBe(tmpdir());
  expect(dirname(tmpdir())).not.toBe(tmpdir());
});
