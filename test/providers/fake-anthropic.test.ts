/** The fake Anthropic API must behave like protocols.md §3 says the real one does. */
import { afterEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic, type WireJson } from "../kit/index.js";

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const headers = { "content-type": "application/json", "x-api-key": "k", "anthropic-version": "2023-06-01" };
const message = { model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content: "hi" }] };

function json(response: Response): Promise<WireJson> {
  return response.json();
}

function post(
  path: string,
  body: unknown,
  extraHeaders: Record<string, string> = headers,
): Promise<Response> {
  return fetch(`${fake?.url}${path}`, { method: "POST", headers: extraHeaders, body: JSON.stringify(body) });
}

function events(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text
    .trim()
    .split("\n\n")
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((line) => line.startsWith("event: "))?.slice(7) ?? "";
      const data = JSON.parse(lines.find((line) => line.startsWith("data: "))?.slice(6) ?? "{}") as Record<
        string,
        unknown
      >;
      return { event, data };
    });
}

describe("fake Anthropic", () => {
  it("answers a message with content blocks, stop_reason and the full usage object", async () => {
    fake = await startFakeAnthropic({ default: { text: "Hello!" } });
    const response = await post("/v1/messages", message);
    expect(response.headers.get("request-id")).toMatch(/^req_/);
    const body = await response.json();
    expect(body).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-6",
      content: [{ type: "text", text: "Hello!" }],
      stop_reason: "end_turn",
      usage: { output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it("streams message_start … message_stop with ping and cumulative message_delta usage", async () => {
    fake = await startFakeAnthropic({ default: { text: "one two" } });
    const response = await post("/v1/messages", { ...message, stream: true });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const sequence = events(await response.text());
    expect(sequence.map((entry) => entry.event)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(sequence[6]?.data).toMatchObject({
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: 2 },
    });
  });

  it("requires a key and anthropic-version, and sends typed error bodies", async () => {
    fake = await startFakeAnthropic(undefined, { apiKey: "right" });
    const noKey = await post("/v1/messages", message, {
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
    });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({
      type: "error",
      error: { type: "authentication_error" },
      request_id: expect.stringMatching(/^req_/),
    });
    const noVersion = await post("/v1/messages", message, {
      "content-type": "application/json",
      "x-api-key": "right",
    });
    expect(noVersion.status).toBe(400);
    const missingModel = await post(
      "/v1/messages",
      { ...message, model: "claude-x" },
      { ...headers, "x-api-key": "right" },
    );
    expect(missingModel.status).toBe(404);
    expect((await json(missingModel)).error.type).toBe("not_found_error");
  });

  it("rejects temperature under anthropic-version 2026-10-21", async () => {
    fake = await startFakeAnthropic();
    const response = await post(
      "/v1/messages",
      { ...message, temperature: 0 },
      { ...headers, "anthropic-version": "2026-10-21" },
    );
    expect(response.status).toBe(400);
  });

  it("serves count_tokens and /v1/models", async () => {
    fake = await startFakeAnthropic();
    expect(
      await (
        await post("/v1/messages/count_tokens", { model: message.model, messages: message.messages })
      ).json(),
    ).toEqual({
      input_tokens: expect.any(Number),
    });
    const models = await json(await fetch(`${fake.url}/v1/models?limit=2`, { headers }));
    expect(models).toMatchObject({
      has_more: true,
      first_id: "claude-sonnet-4-6",
      last_id: "claude-opus-4-8",
    });
    expect(models.data[0]).toMatchObject({
      type: "model",
      id: "claude-sonnet-4-6",
      display_name: "Claude Sonnet 4.6",
    });
  });

  it("fills a 529 fault with an overloaded_error body", async () => {
    fake = await startFakeAnthropic({ default: { fault: { status: 529 } } });
    const response = await post("/v1/messages", message);
    expect(response.status).toBe(529);
    expect((await json(response)).error).toEqual({ type: "overloaded_error", message: "Overloaded" });
  });
});
