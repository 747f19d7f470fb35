/** Run-log appends after a torn write start on a fresh line; readers keep the next record. */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openRunLog, readRunLog } from "../../src/store/run-log.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function logFile(): string {
  const folder = mkdtempSync(join(tmpdir(), "hc-runlog-"));
  folders.push(folder);
  return join(folder, "run.jsonl");
}

describe("torn run-log lines", () => {
  it("the record after a torn write is kept (the append starts on a fresh line)", () => {
    const file = logFile();
    const log = openRunLog(file, { now: () => 1 });
    log.append({ type: "run", task: "t" });
    appendFileSync(file, '{"at":2,"type":"unit-result","unitId":"u1","cha'); // killed mid-write
    const resumed = openRunLog(file, { now: () => 3 });
    resumed.append({ type: "resumed", runId: "r" });
    resumed.append({ type: "finished" });
    expect(readFileSync(file, "utf8").split("\n").at(-4)).toBe(
      '{"at":2,"type":"unit-result","unitId":"u1","cha',
    );
    expect(readRunLog(file).map((record) => record.type)).toEqual(["run", "resumed", "finished"]);
  });

  it("a reader recovers a record glued to a torn fragment by an older writer", () => {
    const file = logFile();
    appendFileSync(
      file,
      '{"at":1,"type":"run","task":"t"}\n{"at":2,"type":"pl{"at":3,"type":"plan","plan":{}}\n',
    );
    expect(readRunLog(file).map((record) => record.type)).toEqual(["run", "plan"]);
  });
});
