/**
 * Keeps a model's reasoning apart from its answer. Reasoning models show their thinking in one of
 * four ways (protocols.md §7): a separate field (Ollama `message.thinking`, OpenAI-compatible
 * `reasoning_content` / `reasoning`, Anthropic `thinking` blocks — the providers read those), inline
 * `<think>…</think>` (also `<thinking>`, `<reasoning>`) at the start of the content when the server
 * has no reasoning parser, an answer after a lone `</think>` when the chat template already opened
 * the block in the prompt (deepseek-r1 distills, qwen3), and raw gpt-oss harmony channel markers
 * (`<|channel|>analysis<|message|>…<|end|>…<|channel|>final<|message|>…`).
 *
 * Only reasoning at the start of a reply is taken out: a file that contains the tag text in its
 * code (an XML file, a parser for these very tags) keeps it, because a fenced or bare file never
 * begins with an opening reasoning tag followed by its closing one ahead of the answer.
 */

export interface SplitReply {
  /** The reply without its reasoning: what parsers read. */
  answer: string;
  /** The reasoning text (tags and channel markers removed), "" when there was none. */
  reasoning: string;
}

const TAG_NAMES = "think|thinking|reasoning";
const LEADING_OPEN = new RegExp(`^\\s*<(${TAG_NAMES})(?:\\s[^>]*)?>`, "i");
/** A closing tag that ends its line, as templates emit it (code quoting the tag has a quote or more after it). */
const LONE_CLOSE = new RegExp(`</(?:${TAG_NAMES})\\s*>[ \\t]*$`, "im");
const ANY_OPEN = new RegExp(`<(?:${TAG_NAMES})(?:\\s[^>]*)?>`, "i");
const HARMONY_MARKER = /<\|(?:start|channel|message|end|return|call|constrain)\|>/;
/** Harmony text whose special tokens the server rendered as nothing: `analysis…assistantfinal…`. */
const BARE_HARMONY = /^\s*analysis([\s\S]*?)assistantfinal([\s\S]*)$/;

function joinParts(parts: readonly string[]): string {
  return parts
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .join("\n\n");
}

/** gpt-oss harmony: analysis/commentary channels are reasoning, the final channel is the answer. */
function splitHarmony(text: string): SplitReply | null {
  if (!HARMONY_MARKER.test(text)) {
    const bare = BARE_HARMONY.exec(text);
    return bare ? { answer: (bare[2] ?? "").trim(), reasoning: (bare[1] ?? "").trim() } : null;
  }
  const messages = text.split(/<\|start\|>/);
  const reasoning: string[] = [];
  const answer: string[] = [];
  let sawChannel = false;
  for (const raw of messages) {
    const channel = /<\|channel\|>\s*([a-z]+)[^<]*?(?:<\|constrain\|>[^<]*)?<\|message\|>([\s\S]*)$/i.exec(
      raw,
    );
    if (!channel) {
      // Text before the first marker (or a message without a channel) is an answer fragment only
      // when no channel was seen at all; otherwise it is role residue such as "assistant".
      const bare = raw.replace(/<\|(?:end|return|call)\|>[\s\S]*$/, "").replace(/^\s*assistant\s*/, "");
      if (!sawChannel && bare.trim() !== "" && !/<\|/.test(raw)) answer.push(bare);
      continue;
    }
    sawChannel = true;
    const body = (channel[2] ?? "").replace(/<\|(?:end|return|call)\|>[\s\S]*$/, "");
    if ((channel[1] ?? "").toLowerCase() === "final") answer.push(body);
    else reasoning.push(body);
  }
  if (!sawChannel) return null;
  return { answer: joinParts(answer), reasoning: joinParts(reasoning) };
}

/**
 * Splits `text` into answer and reasoning. Idempotent: an answer has no reasoning left to split.
 * A reasoning block that never closes (the model was cut off while thinking) leaves an empty answer.
 */
export function splitReasoning(text: string): SplitReply {
  const harmony = splitHarmony(text);
  if (harmony) return harmony;
  const reasoning: string[] = [];
  let rest = text;
  for (;;) {
    const open = LEADING_OPEN.exec(rest);
    if (!open) break;
    const name = (open[1] ?? "think").toLowerCase();
    const afterOpen = rest.slice(open[0].length);
    const close = new RegExp(`</${name}\\s*>`, "i").exec(afterOpen);
    if (!close) {
      reasoning.push(afterOpen);
      rest = "";
      break;
    }
    reasoning.push(afterOpen.slice(0, close.index));
    rest = afterOpen.slice(close.index + close[0].length);
  }
  if (reasoning.length === 0) {
    // A lone closing tag: the template opened the block in the prompt, so the reply starts inside it.
    const close = LONE_CLOSE.exec(rest);
    if (close) {
      const before = rest.slice(0, close.index);
      if (!ANY_OPEN.test(before)) {
        reasoning.push(before);
        rest = rest.slice(close.index + close[0].length);
      }
    }
  }
  if (reasoning.length === 0) return { answer: text, reasoning: "" };
  return { answer: rest.replace(/^\s*\n/, ""), reasoning: joinParts(reasoning) };
}

/** Joins reasoning from a separate field with reasoning found inline; either may be empty. */
export function mergeReasoning(...parts: Array<string | undefined>): string {
  return joinParts(parts.filter((part): part is string => typeof part === "string"));
}
