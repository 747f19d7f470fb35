/**
 * Claude through the `claude` CLI (Claude Code) and the user's subscription: `claude -p` with
 * the prompt on stdin (argv is limited to 128 KiB per argument), JSON output, tools off unless
 * the planner may explore (then read-only tools in plan mode), cwd = the repository.
 * Wire details: protocols.md §1a–1c. Failure is decided by `is_error`, never by `subtype`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProviderConfig } from "../config/schema.js";
import { runProcess, stopLineStream, streamProcessLines } from "../util/process.js";
import { interpretClaudeResult } from "./claude-result.js";
import { claudeInstallHint, detectClaude } from "./cli-detect.js";
import {
  crashError,
  healthFromDetection,
  type ProcessFailureContext,
  parseJsonLine,
  processFailure,
  renderConversation,
  throwIfAborted,
} from "./cli-support.js";
import { callTimeoutMs, joinedSystemText } from "./provider-support.js";
import type { ProviderRuntime } from "./runtime.js";
import type {
  Capacity,
  GenerateRequest,
  GenerateResult,
  HealthStatus,
  ModelInfo,
  Provider,
  StreamPart,
} from "./spec.js";

const defaultTimeoutMs = 300_000;
/** Turns allowed when the planner explores the repository with read-only tools. */
export const activeExplorationMaxTurns = 8;
/** Above this the system text goes through a file: one argv string may not exceed 128 KiB. */
const maxSystemArgumentBytes = 96 * 1024;

/**
 * Static catalogue (the CLI has no free listing command): the aliases the CLI accepts and the
 * ids of protocols.md §1b/§5. Context windows are the standard 200k; `[1m]` variants exist.
 */
export const claudeCliModelCatalogue: readonly ModelInfo[] = [
  { id: "opus", family: "alias → claude-opus-4-8", contextLength: 200_000 },
  { id: "sonnet", family: "alias → claude-sonnet-5", contextLength: 200_000 },
  { id: "haiku", family: "alias → claude-haiku-4-5", contextLength: 200_000 },
  { id: "fable", family: "alias → claude-fable-5", contextLength: 200_000 },
  ...[
    "claude-opus-4-8",
    "claude-opus-4-7",
    "claude-opus-4-6",
    "claude-opus-4-5",
    "claude-opus-5",
    "claude-sonnet-5",
    "claude-sonnet-4-6",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "claude-fable-5",
  ].map((id) => ({ id, family: id.replace(/^claude-/, "").replace(/-.*/, ""), contextLength: 200_000 })),
];

interface PreparedCall {
  args: string[];
  prompt: string;
  cleanup: () => void;
}

/** The argv for one call (the prompt itself goes to stdin). */
export function claudeArguments(
  request: GenerateRequest,
  outputFormat: "json" | "stream-json",
  systemFile?: string,
): string[] {
  const args = ["-p", "--output-format", outputFormat];
  if (outputFormat === "stream-json") args.push("--verbose");
  if (request.model && request.model !== "default") args.push("--model", request.model);
  const system = joinedSystemText(request);
  if (systemFile !== undefined) args.push("--append-system-prompt-file", systemFile);
  else if (system !== undefined) args.push("--append-system-prompt", system);
  if (request.jsonSchema !== undefined) args.push("--json-schema", JSON.stringify(request.jsonSchema));
  args.push("--no-session-persistence");
  if (request.exploration === "active") {
    // --tools limits what exists; --allowedTools pre-approves it; plan mode forbids edits.
    args.push("--tools", "Read,Grep,Glob", "--allowedTools", "Read,Grep,Glob", "--permission-mode", "plan");
    args.push("--max-turns", String(activeExplorationMaxTurns));
  } else {
    args.push("--tools", "");
  }
  return args;
}

/**
 * Claude Code's fixed thinking budget is at least 1,024 tokens and must stay below max_tokens
 * (read from the 2.1.332 binary: `Math.max(1024, Math.min(maxTokens - 1, …))`), so a smaller cap
 * also turns thinking off.
 */
const minThinkingBudget = 1024;

/**
 * The environment for one call: the request's output cap as `CLAUDE_CODE_MAX_OUTPUT_TOKENS`
 * (the CLI has no flag for it; the 2.1.332 binary reads this variable, takes any positive
 * integer and lowers a value above the model's limit to that limit). At or below 1,024 tokens
 * `MAX_THINKING_TOKENS=0` as well, or a thinking budget above the cap would fail the request.
 * A value the user exported is replaced for this call only. The cap applies to each model turn.
 */
export function claudeEnvironment(
  request: Pick<GenerateRequest, "maxOutputTokens">,
  base: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const cap = Math.max(1, Math.floor(request.maxOutputTokens));
  return {
    ...base,
    CLAUDE_CODE_MAX_OUTPUT_TOKENS: String(cap),
    ...(cap <= minThinkingBudget ? { MAX_THINKING_TOKENS: "0" } : {}),
  };
}

export class ClaudeCodeCliProvider implements Provider {
  readonly type = "claude_code_cli" as const;
  readonly local = false;
  private readonly binary: string;

  constructor(
    readonly name: string,
    private readonly config: ProviderConfig,
    private readonly runtime: ProviderRuntime,
  ) {
    this.binary = config.binary ?? "claude";
  }

  private prepare(request: GenerateRequest, outputFormat: "json" | "stream-json"): PreparedCall {
    const system = joinedSystemText(request);
    let directory: string | undefined;
    let systemFile: string | undefined;
    if (system !== undefined && Buffer.byteLength(system, "utf8") > maxSystemArgumentBytes) {
      directory = mkdtempSync(join(tmpdir(), "hierocode-claude-"));
      systemFile = join(directory, "system-prompt.txt");
      writeFileSync(systemFile, system, { mode: 0o600 });
    }
    return {
      args: claudeArguments(request, outputFormat, systemFile),
      prompt: renderConversation(request.messages),
      cleanup: () => {
        if (directory) rmSync(directory, { recursive: true, force: true });
      },
    };
  }

  private failureContext(timeoutMs: number): ProcessFailureContext {
    return {
      provider: this.name,
      program: "claude",
      binary: this.binary,
      timeoutMs,
      installHint: claudeInstallHint,
    };
  }

  private processOptions(request: GenerateRequest, call: PreparedCall, timeoutMs: number) {
    return {
      command: this.binary,
      args: call.args,
      env: claudeEnvironment(request, this.runtime.env),
      input: call.prompt,
      timeoutMs,
      ...(request.cwd !== undefined ? { cwd: request.cwd } : {}),
      ...(request.signal !== undefined ? { signal: request.signal } : {}),
    };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    throwIfAborted(request.signal, this.name);
    const start = performance.now();
    const timeoutMs = callTimeoutMs(request, this.config, defaultTimeoutMs);
    const call = this.prepare(request, "json");
    try {
      const result = await runProcess(this.processOptions(request, call, timeoutMs));
      const context = this.failureContext(timeoutMs);
      const failure = processFailure(result, context);
      if (failure) throw failure;
      // One JSON line is expected; take the last `result` object in case anything precedes it.
      const line = result.stdout
        .split("\n")
        .map(parseJsonLine)
        .filter((value) => value?.type === "result")
        .at(-1);
      if (!line) throw crashError(result, context, "ended without a JSON result");
      return interpretClaudeResult(line, request, this.name, start);
    } finally {
      call.cleanup();
    }
  }

  /**
   * Streams with `--output-format stream-json --verbose`: a text-delta per assistant text
   * block (whole blocks, not tokens; with exploration, earlier turns' text shows too), warnings
   * for API retries, then usage and finish from the final `result` line.
   */
  async *stream(request: GenerateRequest): AsyncGenerator<StreamPart> {
    throwIfAborted(request.signal, this.name);
    const start = performance.now();
    const timeoutMs = callTimeoutMs(request, this.config, defaultTimeoutMs);
    const call = this.prepare(request, "stream-json");
    const lines = streamProcessLines(this.processOptions(request, call, timeoutMs));
    try {
      let final: Record<string, unknown> | undefined;
      for (;;) {
        const next = await lines.next();
        if (next.done) {
          const context = this.failureContext(timeoutMs);
          const failure = processFailure(next.value, context);
          if (failure) throw failure;
          if (!final) throw crashError(next.value, context, "ended without a result line");
          break;
        }
        const event = parseJsonLine(next.value);
        if (!event) continue;
        if (event.type === "result") final = event;
        else if (event.type === "assistant") {
          const content = (event.message as { content?: unknown } | undefined)?.content;
          if (event.error === undefined && Array.isArray(content)) {
            for (const block of content as Array<{ type?: string; text?: string }>) {
              if (block.type === "text" && block.text) yield { type: "text-delta", text: block.text };
            }
          }
        } else if (event.type === "system" && event.subtype === "api_retry") {
          yield {
            type: "warning",
            message: `${this.name}: claude is retrying the API (attempt ${String(event.attempt)} of ${String(event.max_retries)})`,
          };
        }
      }
      const result = interpretClaudeResult(final, request, this.name, start);
      yield { type: "usage", usage: result.usage };
      yield { type: "finish", result };
    } finally {
      await stopLineStream(lines);
      call.cleanup();
    }
  }

  async listModels(): Promise<ModelInfo[]> {
    return claudeCliModelCatalogue.map((model) => ({ ...model }));
  }

  async capacity(model: string): Promise<Capacity> {
    return { model, contextLength: /\[1m\]$/.test(model) ? 1_000_000 : 200_000 };
  }

  async health(options: { signal?: AbortSignal } = {}): Promise<HealthStatus> {
    return healthFromDetection(
      await detectClaude(this.runtime.env, this.binary, options.signal ? { signal: options.signal } : {}),
    );
  }
}
