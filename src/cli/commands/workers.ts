import type { Command } from "commander";
import { modelMatches } from "../../app/model-names.js";
import { type DrafterFootprint, suggestWorkers } from "../../app/workers.js";
import { resolveRole } from "../../config/load.js";
import { describeError } from "../../errors.js";
import { createProvider } from "../../providers/registry.js";
import { formatBytes, parseParameterSize, readResources } from "../../system/resources.js";
import type { CliContext } from "../context.js";
import { wholeNumber } from "../parse.js";
import { providerRuntime } from "../runtime.js";

export function registerWorkers(program: Command, context: CliContext): void {
  const workers = program.command("workers").description("parallel worker counts");
  workers
    .command("suggest")
    .description("suggest safe / balanced / aggressive worker counts from cores, RAM and the drafter's size")
    .option(
      "--context <tokens>",
      "context window each drafter slot is sized for",
      wholeNumber(256, 10_000_000),
      8192,
    )
    .option("--json", "machine-readable output")
    .action(async (options: { context: number }) => {
      const host = readResources(context.env);
      const { config } = context.loadConfig();
      const binding = resolveRole(config, "drafter");
      let drafter: DrafterFootprint | undefined;
      const notes: string[] = [];
      if (binding && config.providers[binding.provider]) {
        const entry = config.providers[binding.provider]!;
        drafter = { model: binding.model, contextTokens: options.context };
        try {
          const provider = createProvider(binding.provider, entry, providerRuntime(context));
          const signal = AbortSignal.timeout(5000);
          const [models, capacity] = await Promise.all([
            provider.listModels({ signal }),
            provider.capacity ? provider.capacity(binding.model, { signal }) : Promise.resolve(undefined),
          ]);
          const info = models.find((model) => modelMatches(entry.type, model.id, binding.model));
          const parameterCount =
            capacity?.parameterCount ??
            info?.parameterCount ??
            parseParameterSize(capacity?.parameterSize ?? info?.parameterSize);
          if (parameterCount) drafter.parameterCount = parameterCount;
          if (info?.sizeBytes) drafter.weightBytes = info.sizeBytes;
        } catch (error) {
          notes.push(`could not read the drafter's size (${describeError(error)}); estimated from defaults`);
        }
      }
      const result = suggestWorkers(host, drafter);
      result.notes.unshift(...notes);
      const { output } = context;
      if (output.json) return output.printJson({ host, drafter, ...result });
      output.print(
        `host: ${host.cpuCount} cores, ${formatBytes(host.totalRamBytes)} RAM${host.gpus.length ? `, ${host.gpus.map((gpu) => `${gpu.name} ${formatBytes(gpu.vramBytes)}`).join(", ")}` : ", no GPU"}`,
      );
      if (drafter) {
        output.print(
          `drafter: ${drafter.model}, weights ≈ ${formatBytes(result.weightBytes)}, KV cache ≈ ${formatBytes(result.kvBytesPerSlot)} per slot at ${drafter.contextTokens} tokens`,
        );
      }
      for (const suggestion of result.suggestions) {
        output.print(
          `${suggestion.strategy.padEnd(11)} max_local_workers: ${suggestion.localWorkers}  max_remote_workers: ${suggestion.remoteWorkers}`,
        );
      }
      for (const note of result.notes) output.print(output.paint.dim(`note: ${note}`));
    });
}
