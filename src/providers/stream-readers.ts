/**
 * Readers for streamed HTTP bodies: text lines, NDJSON (Ollama) and server-sent events
 * (Anthropic, OpenAI-compatible). They only parse; the providers decide what events mean.
 */

/** Splits a byte stream into text lines (\n, \r\n or \r), keeping an unterminated last line. */
export async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let match = /\r\n|\n|\r/.exec(buffer);
    while (match) {
      // A lone \r at the end may be the first half of \r\n: wait for more bytes.
      if (match[0] === "\r" && match.index === buffer.length - 1) break;
      yield buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      match = /\r\n|\n|\r/.exec(buffer);
    }
  }
  buffer += decoder.decode();
  if (buffer.length > 0) yield buffer;
}

/** NDJSON (Ollama): one JSON value per non-empty line. */
export async function* readNdjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  for await (const line of readLines(body)) {
    if (line.trim() === "") continue;
    try {
      yield JSON.parse(line) as unknown;
    } catch {
      throw new Error(`invalid NDJSON line: ${line.slice(0, 200)}`);
    }
  }
}

export interface SseEvent {
  event: string | undefined;
  data: string;
  id: string | undefined;
}

/**
 * Server-sent events per the WHATWG spec: `data:` lines join with \n, a blank line dispatches,
 * `:` lines are comments. An event not closed by a blank line before EOF is dropped, as the spec says.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  let event: string | undefined;
  let id: string | undefined;
  let data: string[] = [];
  for await (const line of readLines(body)) {
    if (line === "") {
      if (data.length > 0) yield { event, data: data.join("\n"), id };
      event = undefined;
      data = [];
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    else if (field === "id") id = value;
  }
}
