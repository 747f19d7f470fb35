/** `hierocode supervisor init`: sets a repository up for a supervising agent (HACO §5.2, §7, §9). */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { initSupervisorKit } from "../../supervisor/init-kit.js";
import type { SupervisorAgent } from "../../supervisor/kit-files.js";
import { findRepoRoot } from "../../util/repo-root.js";
import type { CliContext } from "../context.js";
import { locateRepository } from "../repository.js";

interface InitFlags {
  agent: string;
  force?: boolean;
  repo?: string;
  json?: boolean;
}

export function registerSupervisor(program: Command, context: CliContext): void {
  const supervisor = program
    .command("supervisor")
    .description(
      "set a repository up for a supervising agent (Claude Code, Codex) that delegates to the worker",
    );
  supervisor
    .command("init")
    .description("write CLAUDE.md (or AGENTS.md), bin/worker, .haco/prompts/ticket_template.md and PLAN.md")
    .option("--agent <agent>", "claude (writes CLAUDE.md) or codex (writes AGENTS.md)", "claude")
    .option("--force", "overwrite files that already exist")
    .option("--repo <dir>", "repository to set up (default: the repository of the current folder)")
    .option("--json", "machine-readable output")
    .action((flags: InitFlags) => {
      if (flags.agent !== "claude" && flags.agent !== "codex") {
        throw new UsageError(`unknown --agent "${flags.agent}"`, { hint: "use claude or codex" });
      }
      // --repo is checked like every command's (an existing folder inside git, its root used);
      // without it, the repository of the current folder, or the folder itself outside git.
      const repoRoot =
        flags.repo !== undefined
          ? locateRepository(context, flags.repo)
          : (findRepoRoot(context.cwd) ?? resolve(context.cwd));
      const result = initSupervisorKit({
        repoRoot,
        agent: flags.agent as SupervisorAgent,
        force: Boolean(flags.force),
      });
      if (flags.json || context.globals.json) {
        context.output.printJson({ ok: true, repo: repoRoot, ...result });
        return;
      }
      for (const file of result.written) {
        context.output.print(`${result.overwritten.includes(file) ? "replaced" : "wrote"} ${file}`);
      }
      context.output.note(
        `next: start your agent in ${repoRoot} and tell it to read ${result.written[0]}; smoke-test the bridge with: bin/worker "Return a Python function add(a, b) with type hints."`,
      );
    });
}
