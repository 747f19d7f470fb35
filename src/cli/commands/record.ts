/** `hierocode record show FILE`: summarises a cassette (src/providers/record.ts) for a bug report. */
import type { Command } from "commander";
import type { CassetteCall } from "../../providers/record.js";
import { readCassette } from "../../providers/replay.js";
import type { GenerateResult } from "../../providers/spec.js";
import type { CliContext } from "../context.js";
import { groupedNumber } from "../output.js";

interface CallLine {
  seq: number;
  kind: CassetteCall["kind"];
  provider: string;
  providerType: string;
  model: string;
  role?: string;
  purpose?: string;
  digest: string;
  requestChars?: number;
  outputChars?: number;
  inputTokens?: number;
  outputTokens?: number;
  finishReason?: string;
  latencyMs: number;
  error?: string;
}

function summarise(call: CassetteCall): CallLine {
  const finish = call.parts?.find((part) => part.type === "finish");
  const result = (
    call.kind === "generate" ? call.result : finish?.type === "finish" ? finish.result : undefined
  ) as GenerateResult | undefined;
  return {
    seq: call.seq,
    kind: call.kind,
    provider: call.provider,
    providerType: call.providerType,
    model: call.model,
    ...(call.role ? { role: call.role } : {}),
    ...(call.purpose ? { purpose: call.purpose } : {}),
    digest: call.digest,
    ...(call.requestChars !== undefined ? { requestChars: call.requestChars } : {}),
    ...(result
      ? {
          outputChars: result.text.length,
          inputTokens:
            result.usage.inputTokens + result.usage.cacheReadTokens + result.usage.cacheWriteTokens,
          outputTokens: result.usage.outputTokens,
          finishReason: result.finishReason,
        }
      : {}),
    latencyMs: call.latencyMs,
    ...(call.error ? { error: call.error.message } : {}),
  };
}

export function registerRecord(program: Command, context: CliContext): void {
  const record = program
    .command("record")
    .description("inspect cassettes written by --record (replay them with --replay FILE)");
  record
    .command("show")
    .description("summarise a cassette: calls per role, tokens, timing, errors (no prompt text)")
    .argument("<file>", "the cassette (JSONL)")
    .option("--json", "machine-readable output")
    .action((file: string) => {
      const { output } = context;
      const cassette = readCassette(file);
      const calls = cassette.calls.map(summarise);
      const generation = calls.filter((call) => call.kind === "generate" || call.kind === "stream");
      const totals = {
        calls: calls.length,
        generationCalls: generation.length,
        inputTokens: generation.reduce((sum, call) => sum + (call.inputTokens ?? 0), 0),
        outputTokens: generation.reduce((sum, call) => sum + (call.outputTokens ?? 0), 0),
        latencyMs: generation.reduce((sum, call) => sum + call.latencyMs, 0),
        errors: calls.filter((call) => call.error).length,
      };
      if (output.json) {
        output.printJson({ ok: true, file, header: cassette.header, totals, calls });
        return;
      }
      const number = groupedNumber;
      const { header } = cassette;
      output.print(
        `${file}: cassette v${header.version}, hierocode ${header.hierocode}, recorded ${header.createdAt}${header.redacted ? " (requests left out)" : ""}`,
      );
      for (const call of calls) {
        const who = call.role ? `${call.role}${call.purpose ? ` (${call.purpose})` : ""}` : call.kind;
        const figures =
          call.outputTokens !== undefined
            ? ` ${number.format(call.inputTokens ?? 0)} in / ${number.format(call.outputTokens)} out, ${call.finishReason}`
            : "";
        const error = call.error ? output.paint.red(` error: ${call.error}`) : "";
        output.print(
          `${String(call.seq).padStart(3)} ${who.padEnd(28)} ${call.provider}/${call.model || "-"}${figures} ${number.format(call.latencyMs)} ms${call.digest ? output.paint.dim(` ${call.digest.slice(0, 12)}`) : ""}${error}`,
        );
      }
      output.print(
        `${totals.generationCalls} model calls (${totals.calls} in all): ${number.format(totals.inputTokens)} in / ${number.format(totals.outputTokens)} out tokens, ${number.format(totals.latencyMs)} ms${totals.errors ? `, ${totals.errors} failed` : ""}`,
      );
    });
}
