/**
 * What every surface does before it reads or writes a repository (the CLI's `repositoryFor`,
 * the MCP tools, `hierocode serve`'s jobs): finish or roll back a journalled write a killed
 * hierocode left there (src/edits/journal.ts), so the tree is all-old or all-new before anyone
 * reads it, and remove verify sandboxes (with their test processes) a killed run left behind.
 */
import { describeRecovery, recoverInterruptedWrites } from "../edits/journal.js";
import { cleanStaleSandboxes } from "../verify/worktree.js";

type Env = Record<string, string | undefined>;

/**
 * Repairs `root` (an absolute repository root) as described above. `env` selects the state
 * folder holding the journals (HIEROCODE_STATE_DIR / XDG). Returns one human-readable line per
 * thing done — empty when there was nothing to repair. Journals of a live hierocode process are
 * left alone. Never throws for a repository without journals.
 */
export function recoverRepository(root: string, env: Env): string[] {
  const lines = recoverInterruptedWrites(root, env).map(describeRecovery);
  const stale = cleanStaleSandboxes(root);
  if (stale.sandboxes + stale.worktreeEntries > 0)
    lines.push(
      `removed ${stale.sandboxes + stale.worktreeEntries} verify sandbox(es) left by a killed run${stale.processes > 0 ? ` and stopped ${stale.processes} leftover test process(es)` : ""}`,
    );
  return lines;
}
