/** The fake Ollama must behave like protocols.md §2 says the real one does. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOllama, startFakeOllama } from "../kit/index.js";

let fake: FakeOllama | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

// biome-ignore lint/suspicious/noExplicitAny: wire-format assertions read arbitrary JSON
async function json(response: Response): Promise<any> {
  return response.json();
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

const chat = { model: "qwen2.5-coder:7b", messages: [{ role: "user", content: "hello there" }] };

describe("fake Ollama", () => {
  it("streams NDJSON when `stream` is omitted, ending with done, done_reason and ns durations", async () => {
    fake = await startFakeOllama({ default: { text: "alpha beta gamma" } });
    const response = await post(`${fake.url}/api/chat`, chat);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.length).toBe(4);
    expect(lines[0]).toMatchObject({
      model: "qwen2.5-coder:7b",
      message: { role: "assistant", content: "alpha " },
      done: false,
    });
    const last = lines.at(-1);
    expect(last).toMatchObject({ done: true, done_reason: "stop", message: { content: "" } });
    expect(Number.isInteger(last.total_duration) && last.total_duration > 1e6).toBe(true);
    expect(last.eval_count).toBe(4);
    expect(typeof last.prompt_eval_count).toBe("number");
  });

  it("answers one JSON object with stream:false", async () => {
    fake = await startFakeOllama({ default: { json: { a: 1 } } });
    const response = await post(`${fake.url}/api/chat`, { ...chat, stream: false });
    const body = await response.json();
    expect(body).toMatchObject({
      message: { role: "assistant", content: '{"a":1}' },
      done: true,
      done_reason: "stop",
    });
  });

  it("returns 404 model not found for a model that is not pulled, and 400s for bad bodies", async () => {
    fake = await startFakeOllama();
    const missing = await post(`${fake.url}/api/chat`, { ...chat, model: "foo" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "model 'foo' not found" });
    const noModel = await post(`${fake.url}/api/chat`, { messages: [] });
    expect(await noModel.json()).toEqual({ error: "model is required" });
    const empty = await fetch(`${fake.url}/api/chat`, { method: "POST" });
    expect(empty.status).toBe(400);
  });

  it("serves /api/tags, /api/show, /api/ps and /api/version in the real shapes", async () => {
    fake = await startFakeOllama(undefined, {
      models: [
        {
          name: "tiny",
          architecture: "gemma3",
          parameterSize: "1B",
          contextLength: 32768,
          quantization: "Q8_0",
        },
      ],
    });
    const tags = await json(await fetch(`${fake.url}/api/tags`));
    expect(tags.models[0]).toMatchObject({
      name: "tiny:latest",
      details: { parameter_size: "1B", quantization_level: "Q8_0" },
    });
    const show = await json(await post(`${fake.url}/api/show`, { model: "tiny" }));
    expect(show.model_info["general.architecture"]).toBe("gemma3");
    expect(show.model_info["gemma3.context_length"]).toBe(32768);
    expect(typeof show.parameters).toBe("string");
    await post(`${fake.url}/api/chat`, {
      model: "tiny",
      messages: [{ role: "user", content: "x" }],
      stream: false,
    });
    const ps = await json(await fetch(`${fake.url}/api/ps`));
    expect(ps.models[0]).toMatchObject({ name: "tiny:latest", context_length: 4096 });
    expect(await json(await fetch(`${fake.url}/api/version`))).toEqual({ version: "0.13.0" });
  });

  it("loads a model for an empty conversation and unloads it with keep_alive 0", async () => {
    fake = await startFakeOllama();
    const load = await json(await post(`${fake.url}/api/chat`, { model: "llama3.2", messages: [] }));
    expect(load).toMatchObject({ done: true, done_reason: "load" });
    expect((await json(await fetch(`${fake.url}/api/ps`))).models).toHaveLength(1);
    const unload = await json(
      await post(`${fake.url}/api/chat`, { model: "llama3.2", messages: [], keep_alive: 0 }),
    );
    expect(unload.done_reason).toBe("unload");
    expect((await json(await fetch(`${fake.url}/api/ps`))).models).toHaveLength(0);
  });

  it("sends an in-band error line after a 200 for stream errors", async () => {
    fake = await startFakeOllama({ default: { streamError: "boom", text: "a b" } });
    const response = await post(`${fake.url}/api/chat`, chat);
    expect(response.status).toBe(200);
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.at(-1)).toEqual({ error: "boom" });
  });

  it("matches rules in order, by system text and regex, with times and fall-through", async () => {
    fake = await startFakeOllama({
      rules: [
        { system: "reviewer", reply: { text: "LGTM" } },
        { user: /^hello/, reply: { fault: { status: 500 } }, times: 1, name: "flaky" },
      ],
      default: { text: "default" },
    });
    const text = async (body: unknown) =>
      await json(await post(`${fake!.url}/api/chat`, { ...(body as object), stream: false }));
    expect(
      (
        await text({
          ...chat,
          messages: [{ role: "system", content: "you are a reviewer" }, ...chat.messages],
        })
      ).message.content,
    ).toBe("LGTM");
    expect((await post(`${fake.url}/api/chat`, { ...chat, stream: false })).status).toBe(500);
    expect((await text(chat)).message.content).toBe("default");
    expect(fake.script.used).toEqual(["rule 0", "flaky", "default"]);
  });

  it("loads a script from a JSON file (regexes as {regex, flags})", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "fake-ollama-")), "script.json");
    writeFileSync(
      file,
      JSON.stringify({ rules: [{ user: { regex: "HELLO", flags: "i" }, reply: { text: "from file" } }] }),
    );
    fake = await startFakeOllama(file);
    const body = await json(await post(`${fake.url}/api/chat`, { ...chat, stream: false }));
    expect(body.message.content).toBe("from file");
  });

  it("can fault metadata endpoints through a rule with a path", async () => {
    fake = await startFakeOllama([
      { path: "/api/tags", reply: { fault: { status: 500, body: { error: "disk" } } } },
    ]);
    expect((await fetch(`${fake.url}/api/tags`)).status).toBe(500);
    expect(fake.requestsTo("/api/tags")).toHaveLength(1);
  });
});
