/**
 * `hierocode worker`: the stable bridge a supervising agent calls (HACO §6). Prints only the
 * artifact on stdout; errors go to stderr with an exit code; `--json` gives the service-mode
 * shape `{ok, output, error?, model, timing}`.
 */

import type { Command } from "commander";
import { resolveWorkerBinding, runWorker, type WorkerResult } from "../../app/worker.js";
import { SecretVault } from "../../checks/redact.js";
import { ExitCode, UsageError } from "../../errors.js";
import type { Provider } from "../../providers/spec.js";
import { type WorkerFormat, workerFormats } from "../../supervisor/clean-artifact.js";
import { readResources } from "../../system/resources.js";
import { type CassetteFlags, cassetteOptions } from "../cassette.js";
import type { CliContext } from "../context.js";
import { providerRuntime } from "../runtime.js";

interface WorkerFlags extends CassetteFlags {
  model?: string;
  provider?: string;
  format: string;
  json?: boolean;
  warm?: boolean;
  timeout: string;
  retries: string;
  maxTokens: string;
  keepAlive?: string;
  repo?: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A flag's number, checked before anything runs (exit 2): `whole` ≥ `min`, or any number above 0. */
function numberFlag(
  value: string,
  flag: string,
  rule: { whole: true; min: number } | { whole: false },
): number {
  const parsed = value.trim() === "" ? Number.NaN : Number(value);
  const fits = rule.whole
    ? Number.isInteger(parsed) && parsed >= rule.min
    : Number.isFinite(parsed) && parsed > 0;
  if (!fits)
    throw new UsageError(
      `${flag} expects ${rule.whole ? `a whole number of at least ${rule.min}` : "a number above 0"}, got "${value}"`,
      { hint: `run 'hierocode worker --help' for usage` },
    );
  return parsed;
}

/** Drafter binding, overridable by HACO_WORKER_MODEL and --model / --provider. */
function resolveWorker(
  flags: WorkerFlags,
  context: CliContext,
): {
  provider: Provider;
  model: string;
  keepAlive?: string;
  pinnedNumCtx?: number;
  sendSecretFiles: boolean;
} {
  const { config } = context.loadConfig(flags.repo ? { repoRoot: flags.repo } : {});
  return {
    ...resolveWorkerBinding(config, context.env, providerRuntime(context, flags), {
      model: flags.model,
      provider: flags.provider,
      keepAlive: flags.keepAlive,
    }),
    sendSecretFiles: config.policy.send_secret_files,
  };
}

/** The worker's artifact is written into the files by the supervising agent: printed byte for byte. */
const exact = { exact: true };

function report(result: WorkerResult, context: CliContext, json: boolean): void {
  if (json) {
    context.output.printJson(
      {
        ok: result.ok,
        output: result.output,
        ...(result.error !== undefined ? { error: result.error } : {}),
        model: result.model,
        provider: result.provider,
        timing: result.timing,
      },
      exact,
    );
  } else if (result.ok) {
    if (result.output) context.output.print(result.output, exact);
    else if (result.timing.warm_ms !== undefined)
      context.output.note(`${result.model} is loaded (${result.timing.warm_ms} ms)`);
  } else {
    context.output.note(result.error ?? "worker failed");
    if (result.failure?.hint && result.failure.exitCode !== ExitCode.modelNotFound)
      context.output.note(`hint: ${result.failure.hint}`);
  }
  if (!result.ok) process.exitCode = result.failure?.exitCode ?? ExitCode.internal;
}

export function registerWorker(program: Command, context: CliContext): void {
  cassetteOptions(program.command("worker"))
    .description("draft with the local worker model and print only the artifact (never writes files)")
    .argument("[prompt]", 'the ticket prompt; omit it or pass "-" to read stdin')
    .option("-m, --model <model>", "worker model (default: HACO_WORKER_MODEL, then routing.drafter)")
    .option("-p, --provider <name>", "provider entry to use (default: routing.drafter's)")
    .option("-f, --format <format>", `artifact format: ${workerFormats.join(", ")}`, "code")
    .option("--json", "print {ok, output, error?, model, timing}")
    .option("--warm", "load the model first (and keep it loaded); with no prompt, only warm")
    .option("--timeout <seconds>", "hard limit for one model call", "300")
    .option("--retries <n>", "extra attempts after a timeout or a malformed diff", "1")
    .option("--max-tokens <n>", "output token budget", "4096")
    .option("--keep-alive <duration>", "ollama: keep the model loaded this long (e.g. 30m)")
    .option("--repo <dir>", "repository whose .hierocode.yaml applies")
    .action(async (promptArgument: string | undefined, flags: WorkerFlags) => {
      const json = Boolean(flags.json || context.globals.json);
      if (!(workerFormats as readonly string[]).includes(flags.format)) {
        throw new UsageError(`unknown --format "${flags.format}"`, {
          hint: `use one of: ${workerFormats.join(", ")}`,
        });
      }
      let prompt = promptArgument ?? "";
      if (promptArgument === undefined || promptArgument === "-") {
        if (!process.stdin.isTTY) prompt = await readStdin();
        else if (!flags.warm)
          throw new UsageError("no prompt: pass one as an argument or pipe it in (… | hierocode worker)");
      }
      if (!prompt.trim() && !flags.warm) throw new UsageError("the prompt is empty");
      const timeoutSeconds = numberFlag(flags.timeout, "--timeout", { whole: false });
      const retries = numberFlag(flags.retries, "--retries", { whole: true, min: 0 });
      const maxOutputTokens = numberFlag(flags.maxTokens, "--max-tokens", { whole: true, min: 1 });
      const worker = resolveWorker(flags, context);
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once("SIGINT", onSignal);
      try {
        const result = await runWorker({
          prompt,
          format: flags.format as WorkerFormat,
          provider: worker.provider,
          model: worker.model,
          timeoutMs: timeoutSeconds * 1000,
          retries,
          maxOutputTokens,
          ...(flags.warm ? { warm: true } : {}),
          ...(worker.keepAlive ? { keepAlive: worker.keepAlive } : {}),
          ...(worker.pinnedNumCtx ? { pinnedNumCtx: worker.pinnedNumCtx } : {}),
          memory: hostMemory(context.env),
          vault: new SecretVault({
            env: context.env,
            sendSecretFiles: worker.sendSecretFiles,
          }),
          signal: controller.signal,
        });
        report(result, context, json);
      } finally {
        process.removeListener("SIGINT", onSignal);
      }
    });
}

/** Host memory for the KV-cache cap of num_ctx, as the pipeline reads it (src/app/run.ts). */
function hostMemory(env: Record<string, string | undefined>) {
  const resources = readResources(env);
  return {
    totalRamBytes: resources.totalRamBytes,
    vramBytes: Math.max(0, ...resources.gpus.map((gpu) => gpu.vramBytes)),
  };
}
