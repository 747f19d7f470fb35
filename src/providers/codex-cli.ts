/**
 * OpenAI models through the `codex` CLI and the user's ChatGPT plan: `codex exec --json` with
 * the prompt on stdin (`-`), a read-only sandbox, the system text as `developer_instructions`
 * and `--output-schema` for structured output. Wire details: protocols.md §1d–1f.
 * Without network or credentials `codex exec` retries forever, so the hard timeout matters.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProviderConfig } from "../config/schema.js";
import { ProviderError, type ProviderErrorKind } from "../errors.js";
import { stopLineStream, streamProcessLines } from "../util/process.js";
import { codexInstallHint, codexLoginHint, detectCodex } from "./cli-detect.js";
import {
  crashError,
  healthFromDetection,
  parseJsonLine,
  processFailure,
  renderConversation,
  throwIfAborted,
} from "./cli-support.js";
import { attachJson } from "./json-output.js";
import { callTimeoutMs, elapsedSince } from "./provider-support.js";
import type { ProviderRuntime } from "./runtime.js";
import type {
  Capacity,
  GenerateRequest,
  GenerateResult,
  HealthStatus,
  ModelInfo,
  Provider,
  StreamPart,
  Usage,
} from "./spec.js";

const defaultTimeoutMs = 300_000;
/** Above this the system text goes into the stdin prompt: one argv string may not exceed 128 KiB. */
const maxSystemArgumentBytes = 96 * 1024;

/** Static catalogue: the slugs bundled with codex 0.169.0 (§1e) and the API models of §5. */
export const codexCliModelCatalogue: readonly ModelInfo[] = [
  "default",
  "gpt-6.1-sol",
  "gpt-6.1-terra",
  "gpt-6-sol",
  "gpt-6-luna",
  "gpt-6-astra",
  "gpt-5.6-sol",
  "gpt-5.6-terra",
  "gpt-5.6-luna",
  "gpt-5.5",
  "gpt-5.4",
  "gpt-5.4-mini",
  "gpt-5",
  "gpt-5-codex",
].map((id) => ({
  id,
  family: id === "default" ? "codex's configured default (gpt-6.1-sol in 0.169.0)" : "gpt",
}));

/** A TOML basic string, which is how codex parses `-c key=value` overrides. */
export function tomlBasicString(text: string): string {
  let result = '"';
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (character === '"') result += '\\"';
    else if (character === "\\") result += "\\\\";
    else if (character === "\n") result += "\\n";
    else if (character === "\t") result += "\\t";
    else if (character === "\r") result += "\\r";
    else if (code < 0x20 || code === 0x7f) result += `\\u${code.toString(16).padStart(4, "0")}`;
    else result += character;
  }
  return `${result}"`;
}

interface PreparedCall {
  args: string[];
  prompt: string;
  cwd: string;
  cleanup: () => void;
}

/** The argv (prompt on stdin via `-`); the system text moves into the prompt when too large. */
export function codexArguments(
  request: GenerateRequest,
  cwd: string,
  schemaFile?: string,
): { args: string[]; preamble?: string } {
  const args = ["exec", "--json", "--skip-git-repo-check", "-C", cwd, "--sandbox", "read-only"];
  if (request.model && request.model !== "default") args.push("-m", request.model);
  let preamble: string | undefined;
  if (request.system) {
    const encoded = `developer_instructions=${tomlBasicString(request.system)}`;
    if (Buffer.byteLength(encoded, "utf8") <= maxSystemArgumentBytes) args.push("-c", encoded);
    else preamble = `<instructions>\n${request.system}\n</instructions>`;
  }
  if (schemaFile !== undefined) args.push("--output-schema", schemaFile);
  args.push("-");
  return preamble !== undefined ? { args, preamble } : { args };
}

/** turn.failed carries only a message; its wording (and any HTTP status in it) decides the kind. */
function kindOfFailure(message: string): ProviderErrorKind {
  const auth = /\b40[13]\b|unauthori[sz]ed|not logged in|\blog ?in\b|authenticat|api key|credentials|bearer/i;
  if (auth.test(message)) return "auth";
  if (/\b429\b|rate.?limit|usage limit|quota|too many requests/i.test(message)) return "rate_limit";
  if (/model.{0,60}(?:not (?:found|exist|supported)|does not exist|unknown)|\b404\b/i.test(message)) {
    return "model_not_found";
  }
  if (/overloaded|\b503\b|at capacity/i.test(message)) return "overloaded";
  if (/\b50[0-4]\b|server error|internal error/i.test(message)) return "server";
  if (/context (?:length|window)|too long|maximum.{0,20}tokens|\b400\b|invalid request/i.test(message)) {
    return "bad_request";
  }
  return "stream";
}

/**
 * codex 0.171.0 has no output cap: no flag, and `-c model_max_output_tokens=…` /
 * `-c max_output_tokens=…` are "unknown configuration field" errors under --strict-config
 * (observed). The cap reaches the model only through the prompt (the compact verdict and the
 * redirect state it) and the output schema; an answer over it is kept (a subscription message
 * costs the same) and noted here, for the run log. Reasoning tokens are not counted.
 */
export function outputCapWarning(
  provider: string,
  maxOutputTokens: number,
  usage: Usage | undefined,
  reasoningTokens: number,
): string | undefined {
  if (!usage) return undefined;
  const answer = usage.outputTokens - reasoningTokens;
  if (answer <= maxOutputTokens) return undefined;
  return `${provider}: codex has no output cap; the answer used ${answer} output tokens of the ${maxOutputTokens} asked for`;
}

/** codex counts cached tokens inside input_tokens; our Usage keeps them apart. */
export function codexUsage(raw: Record<string, unknown>): Usage {
  const number = (value: unknown): number =>
    typeof value === "number" && Number.isFinite(value) ? value : 0;
  const cached = number(raw.cached_input_tokens);
  return {
    inputTokens: Math.max(0, number(raw.input_tokens) - cached),
    outputTokens: number(raw.output_tokens),
    cacheReadTokens: cached,
    cacheWriteTokens: number(raw.cache_write_input_tokens),
  };
}

export class CodexCliProvider implements Provider {
  readonly type = "codex_cli" as const;
  readonly local = false;
  private readonly binary: string;

  constructor(
    readonly name: string,
    private readonly config: ProviderConfig,
    private readonly runtime: ProviderRuntime,
  ) {
    this.binary = config.binary ?? "codex";
  }

  /**
   * codex exec always works in a folder (`-C`), and its read-only sandbox still lets the model
   * read files there. Unless `exploration: active` asks for the repository, that folder is an
   * empty temporary one: everything the model needs is in the prompt, which hierocode has
   * redacted (README "Secrets"), so `.env` and friends in the repository stay out of its reach.
   */
  private prepare(request: GenerateRequest): PreparedCall {
    const explore = request.exploration === "active";
    let directory: string | undefined;
    let schemaFile: string | undefined;
    if (!explore || request.jsonSchema !== undefined)
      directory = mkdtempSync(join(tmpdir(), "hierocode-codex-"));
    const cwd = explore || directory === undefined ? (request.cwd ?? process.cwd()) : join(directory, "work");
    if (!explore) mkdirSync(cwd, { mode: 0o700 });
    if (request.jsonSchema !== undefined && directory !== undefined) {
      schemaFile = join(directory, "output-schema.json");
      writeFileSync(schemaFile, JSON.stringify(request.jsonSchema), { mode: 0o600 });
    }
    const { args, preamble } = codexArguments(request, cwd, schemaFile);
    const contextBlock = request.cachedContext
      ? `<context>\n${request.cachedContext}\n</context>`
      : undefined;
    const head = [preamble, contextBlock].filter((part): part is string => part !== undefined).join("\n\n");
    return {
      args,
      cwd,
      prompt: renderConversation(request.messages, head || undefined),
      cleanup: () => {
        if (directory) rmSync(directory, { recursive: true, force: true });
      },
    };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    let finish: GenerateResult | undefined;
    for await (const part of this.stream(request)) if (part.type === "finish") finish = part.result;
    if (!finish)
      throw new ProviderError("stream", `${this.name}: codex ended without a result`, {
        provider: this.name,
        retryable: false,
      });
    return finish;
  }

  /** Yields the final agent message as one text-delta (codex emits whole items, not tokens). */
  async *stream(request: GenerateRequest): AsyncGenerator<StreamPart> {
    throwIfAborted(request.signal, this.name);
    const start = performance.now();
    const timeoutMs = callTimeoutMs(request, this.config, defaultTimeoutMs);
    const call = this.prepare(request);
    const context = {
      provider: this.name,
      program: "codex",
      binary: this.binary,
      timeoutMs,
      installHint: codexInstallHint,
    };
    const lines = streamProcessLines({
      command: this.binary,
      args: call.args,
      cwd: call.cwd,
      env: this.runtime.env,
      input: call.prompt,
      timeoutMs,
      ...(request.signal !== undefined ? { signal: request.signal } : {}),
    });
    try {
      let text: string | undefined;
      let usage: Usage | undefined;
      let reasoningTokens = 0;
      let failed: string | undefined;
      let lastTransientError: string | undefined;
      for (;;) {
        const next = await lines.next();
        if (next.done) {
          const failure = processFailure(next.value, context);
          if (failure) {
            // A timeout after reconnect lines is a network or login problem, not a slow model.
            if (failure instanceof ProviderError && failure.kind === "timeout" && lastTransientError) {
              // codex exec without credentials retries "Reconnecting…" until killed: ask its own
              // login check (free, ~1 s) and call it what it is.
              const detection = await detectCodex(this.runtime.env, this.binary, { timeoutMs: 10_000 }).catch(
                () => undefined,
              );
              if (detection?.loggedIn === false) {
                throw new ProviderError("auth", `${this.name}: ${detection.message}`, {
                  provider: this.name,
                  retryable: false,
                  stderrTail: failure.stderrTail,
                  hint: codexLoginHint,
                });
              }
              throw new ProviderError(
                "timeout",
                `${failure.message} (last codex error: ${lastTransientError})`,
                {
                  provider: this.name,
                  retryable: false,
                  stderrTail: failure.stderrTail,
                  hint: `codex could not reach its service; check the network and ${codexLoginHint}`,
                },
              );
            }
            throw failure;
          }
          if (failed === undefined && usage === undefined)
            throw crashError(next.value, context, "ended without turn.completed");
          break;
        }
        const event = parseJsonLine(next.value);
        if (!event) continue;
        if (event.type === "error") lastTransientError = String(event.message ?? "");
        else if (event.type === "item.completed") {
          const item = event.item as { type?: string; text?: string } | undefined;
          if (item?.type === "agent_message" && typeof item.text === "string") text = item.text;
        } else if (event.type === "turn.completed") {
          const raw = (event.usage ?? {}) as Record<string, unknown>;
          usage = codexUsage(raw);
          reasoningTokens = typeof raw.reasoning_output_tokens === "number" ? raw.reasoning_output_tokens : 0;
        } else if (event.type === "turn.failed")
          failed = String((event.error as { message?: unknown } | undefined)?.message ?? "turn failed");
      }
      if (failed !== undefined) {
        const kind = kindOfFailure(failed);
        throw new ProviderError(kind, `${this.name}: codex turn failed: ${failed}`, {
          provider: this.name,
          bodyExcerpt: failed.slice(0, 500),
          retryable: kind === "rate_limit" || kind === "overloaded" || kind === "server",
          ...(kind === "auth" ? { hint: codexLoginHint } : {}),
        });
      }
      const finalText = text ?? "";
      const warnings: string[] = [];
      if (request.temperature !== undefined)
        warnings.push("the codex CLI has no temperature setting; it was ignored");
      const json = request.jsonSchema !== undefined ? attachJson(finalText, warnings) : undefined;
      const overCap = outputCapWarning(this.name, request.maxOutputTokens, usage, reasoningTokens);
      if (overCap) warnings.push(overCap);
      if (finalText) yield { type: "text-delta", text: finalText };
      const result: GenerateResult = {
        text: finalText,
        ...(json !== undefined ? { json } : {}),
        usage: usage ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
        finishReason: "stop",
        latencyMs: elapsedSince(start),
        // codex's JSONL does not name the model; report what was asked for.
        modelId: request.model && request.model !== "default" ? request.model : "default",
        subscriptionMessages: 1,
        warnings,
      };
      yield { type: "usage", usage: result.usage };
      yield { type: "finish", result };
    } finally {
      await stopLineStream(lines);
      call.cleanup();
    }
  }

  async listModels(): Promise<ModelInfo[]> {
    return codexCliModelCatalogue.map((model) => ({ ...model }));
  }

  async capacity(model: string): Promise<Capacity> {
    return { model };
  }

  async health(options: { signal?: AbortSignal } = {}): Promise<HealthStatus> {
    return healthFromDetection(
      await detectCodex(this.runtime.env, this.binary, options.signal ? { signal: options.signal } : {}),
    );
  }
}
