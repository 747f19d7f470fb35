/** `hierocode local install|status`: the optional in-process runtime for `type: llama_cpp`. */
import type { Command } from "commander";
import { ExitCode, UsageError } from "../../errors.js";
import {
  backendPackage,
  installArgs,
  installLlamaCpp,
  type LlamaCppBackend,
  llamaCppBackends,
  llamaCppDir,
  llamaCppStatus,
  llamaCppVersion,
} from "../../providers/llama-cpp-runtime.js";
import type { CliContext } from "../context.js";

export function registerLocal(program: Command, context: CliContext): void {
  const local = program
    .command("local")
    .description("the in-process GGUF runtime (node-llama-cpp) for providers of type llama_cpp");
  local
    .command("install")
    .description(`install node-llama-cpp ${llamaCppVersion} and one backend into hierocode's data folder`)
    .option("--backend <backend>", `${llamaCppBackends.join(", ")}`, "cpu")
    .option("--dry-run", "print the npm command instead of running it")
    .action(async (flags: { backend: string; dryRun?: boolean }) => {
      const { output } = context;
      if (!(llamaCppBackends as readonly string[]).includes(flags.backend))
        throw new UsageError(`unknown --backend "${flags.backend}"`, {
          hint: `use one of: ${llamaCppBackends.join(", ")}`,
        });
      const backend = flags.backend as LlamaCppBackend;
      const dir = llamaCppDir(context.env);
      backendPackage(backend); // refuses a backend this platform has no package for
      if (flags.dryRun) {
        output.print(`npm ${installArgs(dir, backend).join(" ")}`);
        return;
      }
      output.note(`installing node-llama-cpp ${llamaCppVersion} (${backend}) into ${dir} …`);
      const code = await installLlamaCpp(backend, context.env, (chunk) => {
        if (context.globals.debug) process.stderr.write(chunk);
      });
      if (code !== 0) {
        output.note(`error: npm install exited with ${code}`);
        output.note(`hint: run it yourself to see why: npm ${installArgs(dir, backend).join(" ")}`);
        process.exitCode = ExitCode.internal;
        return;
      }
      if (output.json) output.printJson({ ok: true, ...llamaCppStatus(context.env) });
      else output.print(`installed node-llama-cpp ${llamaCppVersion} (${backend}) in ${dir}`);
    });
  local
    .command("status")
    .description("whether the runtime is installed, its version and backend")
    .option("--json", "machine-readable output")
    .action(() => {
      const status = llamaCppStatus(context.env);
      if (context.output.json) {
        context.output.printJson({ ok: true, ...status });
        return;
      }
      context.output.print(
        status.installed
          ? `node-llama-cpp ${status.version ?? "?"} (${status.backend ?? "backend unknown"}) in ${status.dir}`
          : `not installed (would go to ${status.dir}); run: hierocode local install`,
      );
    });
}
