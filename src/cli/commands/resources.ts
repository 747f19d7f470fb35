import type { Command } from "commander";
import { formatBytes, readResources } from "../../system/resources.js";
import type { CliContext } from "../context.js";

export function registerResources(program: Command, context: CliContext): void {
  program
    .command("resources")
    .description("print CPU count, RAM (total / available) and GPUs")
    .option("--json", "machine-readable output")
    .action(() => {
      const host = readResources(context.env);
      const { output } = context;
      if (output.json) {
        output.printJson(host);
        return;
      }
      output.print(`cpus:      ${host.cpuCount} (${host.cpuModel})`);
      output.print(
        `ram:       ${formatBytes(host.totalRamBytes)} total, ${formatBytes(host.availableRamBytes)} available`,
      );
      if (host.gpus.length === 0) output.print("gpus:      none detected (CPU inference)");
      for (const gpu of host.gpus) output.print(`gpu:       ${gpu.name}, ${formatBytes(gpu.vramBytes)}`);
      output.print(`platform:  ${host.platform}/${host.arch}`);
    });
}
