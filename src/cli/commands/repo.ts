/** `hierocode repo map|symbols` and `hierocode tokens count`: the index and tokenizers, from the shell. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, relative, resolve } from "node:path";
import type { Command } from "commander";
import type { HierocodeConfig } from "../../config/schema.js";
import { describeRecovery, recoverInterruptedWrites } from "../../edits/journal.js";
import { UsageError } from "../../errors.js";
import { defaultMapTokens } from "../../repo/map-tokens.js";
import type { TokenCounter } from "../../tokens/counter.js";
import { findRepoRoot } from "../../util/repo-root.js";
import { type CliContext, loadsConfigItself } from "../context.js";

// Heavier modules load inside the actions that use them: `repo symbols` on a warm index needs
// neither the providers, the tokenizers nor the parser.

/**
 * The git repository containing `--repo DIR` (relative to the current folder) or, without it, the
 * current folder: its root, as every command that works on a repository uses
 * (src/cli/repository.ts, kept apart so a warm `repo symbols` loads no recovery code). A folder
 * outside git is refused (UsageError, exit 2) rather than indexed as a repository — e.g. a whole
 * home folder.
 */
function repoRootFor(context: CliContext, option: string | undefined): string {
  const named = option ?? context.globals.repo;
  const start = resolve(context.cwd, named ?? ".");
  let isFolder = false;
  try {
    isFolder = statSync(start).isDirectory();
  } catch {
    isFolder = false;
  }
  if (!isFolder)
    throw new UsageError(
      named === undefined ? `no such folder: ${start}` : `--repo ${named} is not a folder`,
      {
        hint: "pass the folder of a git repository (relative to the current folder)",
      },
    );
  const root = findRepoRoot(start);
  if (!root)
    throw new UsageError(
      named === undefined ? "not inside a git repository" : `--repo ${named} is not inside a git repository`,
      {
        hint:
          named === undefined
            ? "run it inside the repository or pass --repo DIR"
            : `run git init in ${start} first (hierocode works on git repositories)`,
      },
    );
  // Like every command that works on a repository (src/cli/repository.ts): a write a killed
  // hierocode left half done is finished or rolled back before the tree is read.
  for (const report of recoverInterruptedWrites(root, context.env))
    context.output.warn(describeRecovery(report));
  return root;
}

/**
 * Why the index left out a file that exists in the repository: a source file over the walk's size
 * limit (`defaultMaxFileBytes`, 1 MiB, src/repo/walk.ts), a file of no parsed language, or one the
 * walk skips for another reason (ignore rules, vendored folder, symlink out of the repository).
 */
async function skipReason(file: { path: string; size: number }): Promise<string> {
  const { languageForName } = await import("../../repo/file-kinds.js");
  const { defaultMaxFileBytes } = await import("../../repo/walk.js");
  if (languageForName(basename(file.path)) === null)
    return "not a source file (no symbol parser for this file type)";
  if (file.size > defaultMaxFileBytes)
    return `too large: ${file.size.toLocaleString("en-US")} bytes, over the index's limit of ${defaultMaxFileBytes.toLocaleString("en-US")} bytes (1 MiB)`;
  return "not in the index (ignored by .gitignore/.ignore, in a vendored folder, or a symlink out of the repository)";
}

function parsePositive(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new UsageError(`expected a positive whole number, got "${value}"`);
  return parsed;
}

async function counterFor(context: CliContext, model: string | undefined): Promise<TokenCounter> {
  const { defaultTokenCounter, tokenCounterFor } = await import("../../tokens/select.js");
  if (model) return tokenCounterFor(model);
  try {
    const planner = context.loadConfig().config.routing.planner?.model;
    if (planner) return tokenCounterFor(planner);
  } catch {
    // No usable config: the heuristic will do for a preview.
  }
  return defaultTokenCounter();
}

function readStdin(): string {
  return readFileSync(0, "utf8");
}

/** The same default the pipeline uses, so the preview matches what the planner sees. */
async function plannerBudget(context: CliContext, repoRoot: string): Promise<number> {
  try {
    const { createProviderForRole } = await import("../../providers/registry.js");
    const { plannerMapTokens } = await import("../../pipeline/prepare-plan.js");
    const { providerRuntime } = await import("../runtime.js");
    const { config } = context.loadConfig({ repoRoot });
    const planner = createProviderForRole(config, "planner", providerRuntime(context));
    return await plannerMapTokens({
      providerName: planner.binding.provider,
      provider: planner.provider,
      model: planner.model,
    });
  } catch {
    return defaultMapTokens();
  }
}

export function registerRepo(program: Command, context: CliContext): void {
  const repo = program.command("repo").description("inspect the repository index the planner sees");

  repo
    .command("map")
    .description("print the ranked repository map (signatures, most relevant first) within a token budget")
    .option("--repo <dir>", "repository folder (default: the repository of the current folder)")
    .option(
      "--tokens <n>",
      `token budget (default: an eighth of the planner's context window, 1,024–8,192; ${defaultMapTokens()} without a planner)`,
      parsePositive,
    )
    .option("--focus <file...>", "files to rank towards (repo-relative)")
    .option("--task <text>", "task text; identifiers and paths it mentions are ranked up")
    .option("--model <model>", "count tokens with this model's tokenizer (default: the planner's)")
    .option("--json", "machine-readable output")
    .action(
      async (options: {
        repo?: string;
        tokens?: number;
        focus?: string[];
        task?: string;
        model?: string;
      }) => {
        const repoRoot = repoRootFor(context, options.repo);
        const { buildRepoMap } = await import("../../repo/repo-map.js");
        const map = await buildRepoMap({
          repoRoot,
          tokens: options.tokens ?? (await plannerBudget(context, repoRoot)),
          ...(options.focus ? { focusFiles: options.focus } : {}),
          ...(options.task ? { task: options.task } : {}),
          counter: await counterFor(context, options.model),
          index: { env: context.env },
        });
        if (context.output.json) {
          context.output.printJson(map);
          return;
        }
        context.output.print(map.text.trimEnd());
        context.output.note(
          context.output.paint.dim(
            `${map.tokens} tokens (${map.estimator}), ${map.shownFiles} of ${map.totalFiles} files shown`,
          ),
        );
      },
    );

  const symbols = repo
    .command("symbols")
    .description("list the symbols of files or folders (default: the whole repository)")
    .argument("[paths...]", "files or folders")
    .option("--repo <dir>", "repository folder (default: the repository of the current folder)")
    .option("--json", "machine-readable output")
    .action(async (paths: string[], options: { repo?: string }) => {
      const repoRoot = repoRootFor(context, options.repo);
      // Paths are relative to the current folder, like every path the CLI takes.
      // Named files (not folders), to say which ones the index left out and why.
      const namedFiles: Array<{ path: string; inside: string; absolute: string; size: number }> = [];
      const wanted = paths.map((path) => {
        const absolute = resolve(context.cwd, path);
        if (!existsSync(absolute))
          throw new UsageError(`no such file or folder: ${path}`, {
            hint: `paths are relative to the current folder (${context.cwd})`,
          });
        const inside = relative(repoRoot, absolute).split("\\").join("/");
        if (inside === ".." || inside.startsWith("../") || isAbsolute(inside))
          throw new UsageError(`${path} is outside the repository ${repoRoot}`, {
            hint: "pass a path inside the repository, or --repo DIR for another repository",
          });
        const stats = statSync(absolute);
        if (!stats.isDirectory()) namedFiles.push({ path, inside, absolute, size: stats.size });
        return inside;
      });
      if (context.output.json && wanted.length === 0) {
        // The whole repository: printed from the last output's snapshot when no file changed.
        const { writeRepoSymbolsJson } = await import("../../repo/symbols-snapshot.js");
        await writeRepoSymbolsJson(repoRoot, { env: context.env }, (chunk) => context.output.write(chunk));
        return;
      }
      const { indexRepo } = await import("../../repo/indexer.js");
      // Only source files matter here, and not their references: the cheapest walk and cache read.
      const { files } = await indexRepo(repoRoot, {
        env: context.env,
        sourceOnly: true,
        withReferences: false,
      });
      const selected = files.filter(
        (file) =>
          wanted.length === 0 ||
          wanted.some((path) => path === "" || file.path === path || file.path.startsWith(`${path}/`)),
      );
      const indexed = new Set(files.map((file) => file.path));
      const skipped: Array<{ path: string; reason: string }> = [];
      for (const file of namedFiles)
        if (!indexed.has(file.inside)) skipped.push({ path: file.path, reason: await skipReason(file) });
      if (context.output.json) {
        // Streamed: a large repository's rows never exist as one string. One object with `ok`,
        // like every --json output: { "ok": true, "symbols": [ … ] } (written by writeSymbolsJson),
        // plus "skipped": [{ path, reason }] when a named file is not in the index.
        const { writeSymbolsJson } = await import("../../repo/symbols-json.js");
        writeSymbolsJson(selected, (chunk) => context.output.print(chunk, { exact: true }), skipped);
        return;
      }
      for (const file of skipped) context.output.warn(`skipped ${file.path}: ${file.reason}`);
      const rows = selected.flatMap((file) =>
        file.symbols.map((symbol) => ({
          path: file.path,
          name: symbol.name,
          kind: symbol.kind,
          container: symbol.container,
          line: symbol.line,
          end_line: symbol.endLine,
          signature: symbol.signature,
        })),
      );
      let current = "";
      for (const row of rows) {
        if (row.path !== current) {
          current = row.path;
          context.output.print(context.output.paint.bold(row.path), { exact: true });
        }
        const where = context.output.paint.dim(`${row.line}-${row.end_line}`.padEnd(10));
        const qualified = row.container ? `${row.container}.${row.name}` : row.name;
        context.output.print(
          `  ${where} ${row.kind.padEnd(9)} ${qualified}  ${context.output.paint.dim(row.signature)}`,
          { exact: true },
        );
      }
    });
  // No configuration is read: a warm `repo symbols` loads neither zod nor yaml.
  loadsConfigItself.add(symbols);

  const tokens = program.command("tokens").description("token counting");
  tokens
    .command("count")
    .description(
      "count the tokens of a file (or stdin) with a model's tokenizer (Claude: count_tokens when a key is set)",
    )
    .argument("[file]", "file to count, or - for stdin", "-")
    .option("--model <model>", "model whose tokenizer to use (default: calibrated estimate)")
    .option("--family <family>", "model family as Ollama reports it (llama, qwen2, gemma3…)")
    .option(
      "-p, --provider <name>",
      "Claude models: the anthropic provider whose count_tokens endpoint to use",
    )
    .option("--json", "machine-readable output")
    .action(async (file: string, options: { model?: string; family?: string; provider?: string }) => {
      let text: string;
      try {
        text = file === "-" ? readStdin() : readFileSync(resolve(context.cwd, file), "utf8");
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason =
          code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder" : (code ?? "unreadable");
        throw new UsageError(`cannot read ${file}: ${reason}`, {
          hint:
            file === "-"
              ? "pipe the text in: hierocode tokens count - < FILE"
              : `paths are relative to the current folder (${context.cwd}); - reads stdin`,
        });
      }
      // The config only matters for Claude models (which anthropic provider and key to use).
      let config: HierocodeConfig | undefined;
      if (options.model && /claude/i.test(options.model)) {
        try {
          config = context.loadConfig().config;
        } catch (error) {
          if (options.provider) throw error;
        }
      }
      const { countTokens } = await import("../../app/token-count.js");
      const { providerRuntime } = await import("../runtime.js");
      const result = await countTokens({
        text,
        env: context.env,
        runtime: providerRuntime(context),
        ...(options.model ? { model: options.model } : {}),
        ...(options.family ? { family: options.family } : {}),
        ...(options.provider ? { provider: options.provider } : {}),
        ...(config ? { config } : {}),
      });
      if (context.output.json) {
        context.output.printJson(result);
        return;
      }
      context.output.print(
        `${result.tokens} tokens (${result.estimator}${result.exact ? "" : ", estimate"})`,
      );
      if (result.note) context.output.note(result.note);
    });
}
