/**
 * What the claude and codex CLI providers share: one stdin prompt from a conversation, the
 * translation of a failed child process into a ProviderError, and health from detection.
 */
import { AbortError, ProviderError } from "../errors.js";
import { type ProcessResult, tail } from "../util/process.js";
import type { CliDetection } from "./cli-detect.js";
import type { ChatMessage, HealthStatus } from "./spec.js";

/**
 * The CLIs take one prompt, so earlier turns are rendered into it with labels; the last user
 * message comes last and unlabelled so a single-turn call is sent exactly as written.
 */
export function renderConversation(messages: readonly ChatMessage[], preamble?: string): string {
  const parts: string[] = [];
  if (preamble) parts.push(preamble);
  const last = messages.at(-1);
  const earlier = last?.role === "user" ? messages.slice(0, -1) : messages;
  if (earlier.length > 0) {
    const turns = earlier.map((message) =>
      message.role === "assistant"
        ? `[Your earlier reply]\n${message.content}`
        : `[User]\n${message.content}`,
    );
    parts.push(`<conversation_so_far>\n${turns.join("\n\n")}\n</conversation_so_far>`);
  }
  if (last?.role === "user") parts.push(earlier.length > 0 ? `[User]\n${last.content}` : last.content);
  return parts.join("\n\n");
}

export interface ProcessFailureContext {
  provider: string;
  /** e.g. "claude" — used in messages */
  program: string;
  binary: string;
  timeoutMs: number;
  installHint: string;
}

/**
 * The error for a run that did not produce a usable answer for reasons of the process itself
 * (missing, killed for time, aborted, crashed); undefined when the output should be parsed.
 */
export function processFailure(result: ProcessResult, context: ProcessFailureContext): Error | undefined {
  const { provider, program, binary } = context;
  if (result.aborted) return new AbortError(`${provider}: ${program} call cancelled`);
  if (result.notFound) {
    return new ProviderError("unavailable", `${provider}: \`${binary}\` is not installed or not on PATH`, {
      provider,
      hint: context.installHint,
      retryable: false,
    });
  }
  if (result.spawnError) {
    return new ProviderError(
      "unavailable",
      `${provider}: could not start \`${binary}\`: ${result.spawnError.message}`,
      {
        provider,
        retryable: false,
      },
    );
  }
  if (result.timedOut) {
    return new ProviderError(
      "timeout",
      `${provider}: ${program} did not finish within ${Math.round(context.timeoutMs / 1000)} s; its process tree was killed`,
      {
        provider,
        retryable: false,
        stderrTail: tail(result.stderr),
        hint: `check that \`${program}\` works on its own (network, login), or raise timeout_seconds for this provider`,
      },
    );
  }
  return undefined;
}

/** A crash: the process ended without the answer we could parse. */
export function crashError(
  result: ProcessResult,
  context: ProcessFailureContext,
  what: string,
): ProviderError {
  const status = result.signal ? `killed by ${result.signal}` : `exit status ${result.exitCode}`;
  const stderrTail = tail(result.stderr || result.stdout, 800);
  return new ProviderError(
    "crash",
    `${context.provider}: ${context.program} ${what} (${status})${stderrTail ? `: ${tail(stderrTail, 300)}` : ""}`,
    {
      provider: context.provider,
      exitStatus: result.exitCode,
      stderrTail,
      retryable: false,
      details: { signal: result.signal },
    },
  );
}

export function healthFromDetection(detection: CliDetection): HealthStatus {
  return {
    ok: detection.installed && detection.loggedIn === true,
    reachable: detection.installed,
    ...(detection.loggedIn !== undefined ? { authenticated: detection.loggedIn } : {}),
    message: detection.message,
    ...(detection.hint !== undefined ? { hint: detection.hint } : {}),
    ...(detection.version !== undefined ? { version: detection.version } : {}),
  };
}

/** Throws AbortError right away when the signal has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined, provider: string): void {
  if (signal?.aborted) throw new AbortError(`${provider}: call cancelled`);
}

/** One JSON object from a line of CLI output; undefined for anything else (banners, noise). */
export function parseJsonLine(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
