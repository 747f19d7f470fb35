/**
 * Scripting for the fake model servers: ordered rules that match a request (path, model,
 * system/user text, stream flag, or any predicate) and say how to answer it — text, JSON,
 * an HTTP fault, a cut connection, a hang, or an in-band stream error. Rules can apply a
 * limited number of times and then fall through, e.g. one 429 and then success.
 */
import { readFileSync } from "node:fs";

/** A string matches by containment (exact equality for `path` and `model`); a RegExp by test. */
export type TextMatcher = string | RegExp | { regex: string; flags?: string };

/** What every fake extracts from a request before matching. */
export interface ScriptRequest {
  path: string;
  model: string | undefined;
  /** All system text (system messages / the `system` field), joined with newlines. */
  system: string;
  /** All user messages, joined with newlines. */
  user: string;
  stream: boolean;
  /** The parsed JSON body (undefined for GET). */
  body: unknown;
  headers: Record<string, string>;
}

export interface RuleMatch {
  /** Exact path (`/api/chat`) or RegExp. Rules without a path apply only to generation endpoints. */
  path?: TextMatcher;
  model?: TextMatcher;
  system?: TextMatcher;
  user?: TextMatcher;
  stream?: boolean;
  when?: (request: ScriptRequest) => boolean;
}

/** Usage numbers to report instead of the ones derived from text length (vendor-neutral names). */
export interface UsageOverride {
  inputTokens?: number;
  outputTokens?: number;
  /** Anthropic cache_read_input_tokens / OpenAI prompt_tokens_details.cached_tokens. */
  cacheReadTokens?: number;
  /** Anthropic cache_creation_input_tokens / OpenAI prompt_tokens_details.cache_write_tokens. */
  cacheWriteTokens?: number;
}

export interface AnswerOptions {
  /** Force the finish reason; by default it is "length" only when the reply exceeds the token limit. */
  finishReason?: "stop" | "length";
  usage?: UsageOverride;
  /** Ollama: leave out all optional metrics fields (they are `omitempty` on the real server). */
  omitUsage?: boolean;
  /** Override the model id the server reports. */
  modelId?: string;
  /**
   * The model reasons before answering. Each fake puts it where its real server does (Ollama:
   * `message.thinking`, or inline `<think>` for a model without the thinking capability;
   * OpenAI-compatible: `reasoning_content` / `reasoning` / inline, per server option). Its tokens
   * count against the output limit and in the reported output tokens, as on the real servers.
   */
  reasoning?: string;
}

export interface FaultReply {
  fault: { status: number; body?: unknown; headers?: Record<string, string> };
}

export type Reply =
  | ({ text: string } & AnswerOptions)
  | ({ json: unknown } & AnswerOptions)
  | FaultReply
  /** Stream: send part of the answer, then destroy the socket. Non-stream: half a body, then destroy. */
  | "cut"
  | { cut: true; text?: string }
  /** Accept the request and never answer (until the client gives up or the server closes). */
  | "hang"
  /** Stream part of the answer, then an in-band error (Ollama `{"error"}` line, Anthropic `event: error`, OpenAI `data: {"error"}`). */
  | { streamError: string; text?: string; errorType?: string };

export interface Rule extends RuleMatch {
  reply: Reply;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Apply this many times, then fall through to later rules. */
  times?: number;
  /** Free label, shown in `script.used`. */
  name?: string;
}

export interface ScriptInit {
  rules?: Rule[];
  default?: Reply;
  /** Delay applied to every reply that has no rule delay. */
  delayMs?: number;
}

export interface ResolvedReply {
  reply: Reply;
  delayMs: number;
  rule: Rule | undefined;
}

function toRegExp(matcher: { regex: string; flags?: string }): RegExp {
  return new RegExp(matcher.regex, matcher.flags);
}

function matchesText(matcher: TextMatcher | undefined, value: string | undefined, exact: boolean): boolean {
  if (matcher === undefined) return true;
  if (value === undefined) return false;
  if (typeof matcher === "string") return exact ? value === matcher : value.includes(matcher);
  const pattern = matcher instanceof RegExp ? matcher : toRegExp(matcher);
  pattern.lastIndex = 0;
  return pattern.test(value);
}

/** True when `rule` (ignoring `times`) matches `request`. */
export function ruleMatches(rule: RuleMatch, request: ScriptRequest, isGeneration: boolean): boolean {
  if (rule.path === undefined ? !isGeneration : !matchesText(rule.path, request.path, true)) return false;
  if (!matchesText(rule.model, request.model, true)) return false;
  if (!matchesText(rule.system, request.system, false)) return false;
  if (!matchesText(rule.user, request.user, false)) return false;
  if (rule.stream !== undefined && rule.stream !== request.stream) return false;
  return rule.when ? rule.when(request) : true;
}

export class Script {
  rules: Rule[] = [];
  defaultReply: Reply = { text: "ok" };
  defaultDelayMs = 0;
  /** Names (or indexes) of the rules that answered, in order; "default" for the default reply. */
  readonly used: string[] = [];

  constructor(init: ScriptInit | Rule[] = {}) {
    const normalized = Array.isArray(init) ? { rules: init } : init;
    for (const rule of normalized.rules ?? []) this.add(rule);
    if (normalized.default !== undefined) this.defaultReply = normalized.default;
    if (normalized.delayMs !== undefined) this.defaultDelayMs = normalized.delayMs;
  }

  /** Loads `{ "rules": [...], "default": ... }` from a JSON file; regexes are `{ "regex": "…", "flags": "i" }`. */
  static fromFile(file: string): Script {
    return new Script(JSON.parse(readFileSync(file, "utf8")) as ScriptInit);
  }

  /** Accepts what `startFake*` accepts: a Script, an init object, a rule list or a JSON file path. */
  static from(input?: Script | ScriptInit | Rule[] | string): Script {
    if (input instanceof Script) return input;
    if (typeof input === "string") return Script.fromFile(input);
    return new Script(input ?? {});
  }

  add(rule: Rule): this {
    this.rules.push({ ...rule });
    return this;
  }

  /** Shorthand for `add({ ...match, reply, ...options })`. */
  on(
    match: RuleMatch,
    reply: Reply,
    options: { times?: number; delayMs?: number; name?: string } = {},
  ): this {
    return this.add({ ...match, reply, ...options });
  }

  setDefault(reply: Reply): this {
    this.defaultReply = reply;
    return this;
  }

  reset(): this {
    this.rules = [];
    this.defaultReply = { text: "ok" };
    this.defaultDelayMs = 0;
    this.used.length = 0;
    return this;
  }

  /**
   * The reply for a request: the first matching rule with uses left (consuming one use), else
   * the default for generation endpoints, else undefined (serve the endpoint normally).
   */
  resolve(request: ScriptRequest, isGeneration: boolean): ResolvedReply | undefined {
    for (const [index, rule] of this.rules.entries()) {
      if (rule.times !== undefined && rule.times <= 0) continue;
      if (!ruleMatches(rule, request, isGeneration)) continue;
      if (rule.times !== undefined) rule.times -= 1;
      this.used.push(rule.name ?? `rule ${index}`);
      return { reply: rule.reply, delayMs: rule.delayMs ?? this.defaultDelayMs, rule };
    }
    if (!isGeneration) return undefined;
    this.used.push("default");
    return { reply: this.defaultReply, delayMs: this.defaultDelayMs, rule: undefined };
  }
}

/** Token count the fakes report: about 4 characters per token, at least 1 for non-empty text. */
export function fakeTokenCount(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

/** The text a non-fault reply answers with (JSON replies are serialized, as structured output arrives as text). */
export function replyText(reply: Reply): string {
  if (typeof reply === "string") return "";
  if ("text" in reply && typeof reply.text === "string") return reply.text;
  if ("json" in reply) return JSON.stringify(reply.json);
  return "";
}

/**
 * Splits the output budget between reasoning (generated first) and the answer, as a reasoning
 * model spends it: the answer gets only what the reasoning left.
 */
export function truncateWithReasoning(
  reasoning: string,
  text: string,
  maxTokens: number | undefined,
): { reasoning: string; text: string; truncated: boolean } {
  const thought = truncateToTokens(reasoning, maxTokens);
  if (thought.truncated) return { reasoning: thought.text, text: "", truncated: true };
  const left =
    maxTokens === undefined || maxTokens <= 0
      ? undefined
      : Math.max(0, maxTokens - fakeTokenCount(reasoning));
  if (left === 0 && text !== "") return { reasoning, text: "", truncated: true };
  const answer = truncateToTokens(text, left);
  return { reasoning, text: answer.text, truncated: answer.truncated };
}

/** Cuts `text` to `maxTokens` fake tokens; reports whether it had to. */
export function truncateToTokens(
  text: string,
  maxTokens: number | undefined,
): { text: string; truncated: boolean } {
  if (maxTokens === undefined || maxTokens <= 0 || fakeTokenCount(text) <= maxTokens)
    return { text, truncated: false };
  return { text: text.slice(0, maxTokens * 4), truncated: true };
}

/** Splits text into word-sized stream pieces (each keeps its trailing whitespace). */
export function streamPieces(text: string): string[] {
  const pieces = text.match(/\s*\S+\s*/g) ?? [];
  return pieces.length > 0 ? pieces : text.length > 0 ? [text] : [];
}

/** A reply reduced to what a fake has to do with it. */
export type ReplyAction =
  | { kind: "hang" }
  | { kind: "fault"; status: number; body: unknown; headers: Record<string, string> }
  | {
      kind: "answer";
      text: string;
      options: AnswerOptions;
      /** Destroy the connection half-way. */
      cut: boolean;
      /** Send an in-band error half-way. */
      streamError: { message: string; type: string | undefined } | undefined;
    };

export function interpretReply(reply: Reply): ReplyAction {
  if (reply === "hang") return { kind: "hang" };
  if (reply === "cut")
    return {
      kind: "answer",
      text: "partial answer that never finishes",
      options: {},
      cut: true,
      streamError: undefined,
    };
  if ("fault" in reply) {
    return {
      kind: "fault",
      status: reply.fault.status,
      body: reply.fault.body,
      headers: reply.fault.headers ?? {},
    };
  }
  if ("cut" in reply) {
    return {
      kind: "answer",
      text: reply.text ?? "partial answer that never finishes",
      options: {},
      cut: true,
      streamError: undefined,
    };
  }
  if ("streamError" in reply) {
    return {
      kind: "answer",
      text: reply.text ?? "partial answer that never finishes",
      options: {},
      cut: false,
      streamError: { message: reply.streamError, type: reply.errorType },
    };
  }
  return { kind: "answer", text: replyText(reply), options: reply, cut: false, streamError: undefined };
}
