/** `hierocode memory add|search|list|forget`: notes and preferences kept across projects. */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { type Embedder, embedderFor, searchHybrid } from "../../memory/embeddings.js";
import { addNote, forgetNote, listNotes, type MemoryNote, memoryDatabasePath } from "../../memory/store.js";
import type { CliContext } from "../context.js";
import { repositoryFor } from "../repository.js";

function line(note: MemoryNote): string {
  const scope = note.project ? `project ${note.project}` : "global";
  return `#${note.id} [${note.kind}, ${scope}] ${note.text}`;
}

export function registerMemory(program: Command, context: CliContext): void {
  const memory = program
    .command("memory")
    .description(
      "notes and preferences the planner is given across projects (memory.enabled: false turns it off)",
    );

  memory
    .command("add")
    .description("remember a note (global, or for this repository with --project); secrets are refused")
    .argument("<text...>", "the note")
    .option("--project", "only for the current repository")
    .option("--preference", "a preference: given to the planner for every task in its scope")
    .option("--repo <dir>", "repository root (with --project)")
    .option("--json", "machine-readable output")
    .action((words: string[], flags: { project?: boolean; preference?: boolean; repo?: string }) => {
      const project = flags.project ? repositoryFor(context, flags.repo) : null;
      const note = addNote(context.env, {
        text: words.join(" "),
        kind: flags.preference ? "preference" : "note",
        project,
      });
      if (context.output.json) context.output.printJson({ ok: true, note });
      else context.output.print(`remembered ${line(note)}`);
    });

  memory
    .command("search")
    .description(
      "full-text search (FTS5, BM25 ranking), fused with embedding similarity when memory.embeddings is set; best first",
    )
    .argument("<query...>", "words to look for")
    .option("--project", "only global notes and the current repository's")
    .option("--repo <dir>", "repository root (with --project)")
    .option("--limit <n>", "at most this many", "20")
    .option("--json", "machine-readable output")
    .action(async (words: string[], flags: { project?: boolean; repo?: string; limit: string }) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit: '${flags.limit}' is not a positive integer`);
      const config = context.loadConfig().config;
      let embedder: Embedder | undefined;
      let warning: string | undefined;
      try {
        embedder = embedderFor(config, context.env);
      } catch (error) {
        warning = `memory embeddings not used, full-text search only: ${error instanceof Error ? error.message : String(error)}`;
      }
      const found = await searchHybrid(context.env, words.join(" "), {
        ...(flags.project ? { project: repositoryFor(context, flags.repo) } : {}),
        limit,
        ...(embedder ? { embedder, minSimilarity: config.memory.embeddings?.min_similarity ?? 0.5 } : {}),
      });
      warning ??= found.warning;
      if (warning) context.output.warn(warning);
      const notes = found.notes;
      if (context.output.json) context.output.printJson({ ok: true, method: found.method, notes });
      else if (notes.length === 0) context.output.print("no matching notes");
      else for (const note of notes) context.output.print(line(note));
    });

  memory
    .command("list")
    .description("notes, newest first (all, --global only, or --project for this repository)")
    .option("--project", "only the current repository's notes")
    .option("--global", "only global notes")
    .option("--repo <dir>", "repository root (with --project)")
    .option("--json", "machine-readable output")
    .action((flags: { project?: boolean; global?: boolean; repo?: string }) => {
      if (flags.project && flags.global) throw new UsageError("--project and --global exclude each other");
      const notes = flags.project
        ? listNotes(context.env, { project: repositoryFor(context, flags.repo) })
        : flags.global
          ? listNotes(context.env, { project: null })
          : listNotes(context.env);
      if (context.output.json)
        context.output.printJson({ ok: true, store: memoryDatabasePath(context.env), notes });
      else if (notes.length === 0)
        context.output.print(`no notes (store: ${memoryDatabasePath(context.env)})`);
      else for (const note of notes) context.output.print(line(note));
    });

  memory
    .command("forget")
    .description("delete a note by its number")
    .argument("<id>", "the note's number (#N in `memory list`)")
    .option("--json", "machine-readable output")
    .action((id: string) => {
      const number = Number(id.replace(/^#/, ""));
      if (!Number.isInteger(number) || number < 1) throw new UsageError(`'${id}' is not a note number`);
      if (!forgetNote(context.env, number)) {
        throw new UsageError(`no note #${number}`, { hint: "`hierocode memory list` shows the numbers" });
      }
      if (context.output.json) context.output.printJson({ ok: true, forgotten: number });
      else context.output.print(`forgot #${number}`);
    });
}
