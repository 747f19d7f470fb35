/**
 * Every test run gets its own temporary folder: TMPDIR points into it for the test workers and
 * every process they start (os.tmpdir() follows TMPDIR), and it is removed when the run ends —
 * whatever a test left behind (sandboxes, git worktrees, fake CLIs), even after a crash or a
 * timeout. HIEROCODE_TEST_KEEP_TMP=1 keeps it for inspection.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const folder = mkdtempSync(join(tmpdir(), "hierocode-test-run-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.HIEROCODE_TEST_KEEP_TMP) {
      process.stderr.write(`test temp folder kept: ${folder}\n`);
      return;
    }
    rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
  };
}
