/**
 * `hierocode mcp`: the MCP server on stdio (tools: draft_code, drafter_info, usage_summary,
 * submit_task, task_status); `hierocode mcp install --claude|--codex|--opencode` registers it.
 * The server's modules load only when the command runs, so `tools/list` answers quickly.
 */
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { type CliContext, loadsConfigItself } from "../context.js";

interface InstallFlags {
  claude?: boolean;
  codex?: boolean;
  opencode?: boolean;
  scope: string;
  print?: boolean;
}

export function registerMcp(program: Command, context: CliContext): void {
  const mcp = program
    .command("mcp")
    .description(
      "serve the MCP tools (draft_code, drafter_info, usage_summary, submit_task, task_status) on stdio",
    )
    .action(async () => {
      // Clients wait for tools/list (Codex gives up after 10 s): cache compiled modules on disk so
      // later starts skip compiling the SDK and our modules (Node's module compile cache).
      const { enableCompileCache } = await import("node:module");
      enableCompileCache?.();
      const { serveMcpStdio } = await import("../../mcp/server.js");
      const env = context.globals.config
        ? { ...context.env, HIEROCODE_CONFIG: context.globals.config }
        : context.env;
      await serveMcpStdio(env, context.cwd);
    });
  loadsConfigItself.add(mcp); // the tools read the config on every call
  mcp
    .command("install")
    .description(
      "register `hierocode mcp` with Claude Code, Codex or opencode (idempotent; other entries kept)",
    )
    .option("--claude", "Claude Code (`claude mcp add`; project scope writes .mcp.json)")
    .option("--codex", "Codex ([mcp_servers.hierocode] in ~/.codex/config.toml)")
    .option("--opencode", "opencode (the mcp section of opencode.json)")
    .option("--scope <scope>", "user (all projects) or project (this repository)", "user")
    .option("--print", "print the registration instead of writing it")
    .action(async (flags: InstallFlags) => {
      const clients = (["claude", "codex", "opencode"] as const).filter((client) => flags[client]);
      if (clients.length === 0) throw new UsageError("name a client: --claude, --codex or --opencode");
      if (flags.scope !== "user" && flags.scope !== "project")
        throw new UsageError(`--scope must be user or project, got '${flags.scope}'`);
      const { applyInstall, planInstall, serverCommand } = await import("../../mcp/install.js");
      const { findRepoRoot } = await import("../../util/repo-root.js");
      const cwd = flags.scope === "project" ? (findRepoRoot(context.cwd) ?? context.cwd) : context.cwd;
      const main = fileURLToPath(new URL("../bin.js", import.meta.url));
      const command = serverCommand(context.env, main);
      for (const client of clients) {
        const plan = planInstall({ client, scope: flags.scope, env: context.env, cwd, command });
        if (flags.print) {
          if (plan.file) context.output.note(`# ${plan.file}`);
          context.output.print(plan.printable);
          continue;
        }
        const outcome = applyInstall(plan, context.env, cwd);
        const where = plan.file ?? `claude (${flags.scope} scope)`;
        context.output.note(
          outcome === "unchanged"
            ? `${client}: already registered in ${where}`
            : `${client}: registered in ${where}`,
        );
      }
    });
}
