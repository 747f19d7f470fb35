/**
 * /config edit: opens the user config in $VISUAL or $EDITOR (else vi), then validates it exactly
 * as every command does; an invalid edit is rolled back to the previous file (atomically) and the
 * problems are printed, so the session keeps working with the old config.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { loadConfig } from "../config/load.js";
import { userConfigPath } from "../config/paths.js";
import { ConfigError } from "../errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { findRepoRoot } from "../util/repo-root.js";
import type { Session } from "./session.js";

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}

export async function editConfig(session: Session): Promise<void> {
  const file = userConfigPath(session.env);
  const before = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  const editor = session.env.VISUAL || session.env.EDITOR || "vi";
  // $EDITOR may carry arguments ("code -w"), so it goes through the shell like git does.
  const result = spawnSync(`${editor} ${shellQuote(file)}`, {
    shell: true,
    stdio: "inherit",
    env: session.env as NodeJS.ProcessEnv,
  });
  if (result.error || result.status !== 0) {
    throw new ConfigError(
      `the editor (${editor}) failed${result.status ? ` with exit code ${result.status}` : ""}; the config is unchanged`,
      [],
      {
        hint: "set $VISUAL or $EDITOR to an editor that waits until you close the file",
      },
    );
  }
  const repoRoot = findRepoRoot(session.cwd) ?? undefined;
  const loaded = loadConfig({ env: session.env, ...(repoRoot ? { repoRoot } : {}) });
  if (loaded.errors.length > 0) {
    // The old file goes back; the rejected text is kept beside it so no typing is lost.
    const rejected = `${file}.rejected`;
    writeFileAtomic(rejected, readFileSync(file, "utf8"), { mode: 0o600 });
    if (before !== undefined) writeFileAtomic(file, before, { mode: 0o600 });
    throw new ConfigError(`invalid configuration, the edit was undone: ${loaded.errors[0]}`, loaded.errors, {
      hint: `your edit is in ${rejected}; /config edit to try again${loaded.errors.length > 1 ? ` (${loaded.errors.length} problems)` : ""}`,
    });
  }
  for (const warning of loaded.warnings) session.output.warn(warning);
  session.output.print(`config saved: ${file}`);
}
