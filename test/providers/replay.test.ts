/** Cassette reading, digests and the first-difference report; a recorded fixture replays through the CLI. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalJson, recordedRequest, requestDigest } from "../../src/providers/record.js";
import { firstDifference, ReplayProvider, readCassette } from "../../src/providers/replay.js";
import { makeSandbox, runCliProcess } from "../pipeline/support/e2e.js";

const fixture = resolve(import.meta.dirname, "../fixtures/cassettes/draft-ollama.jsonl");
const temp = mkdtempSync(join(tmpdir(), "haco-cassette-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe("cassettes", () => {
  it("digests do not depend on key order and ignore signal, timeout and cwd", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
    const base = { model: "m", messages: [{ role: "user" as const, content: "hi" }], maxOutputTokens: 5 };
    const a = requestDigest(recordedRequest(base, (text) => text));
    const b = requestDigest(
      recordedRequest(
        { ...base, cwd: "/x", timeoutMs: 9, signal: new AbortController().signal },
        (text) => text,
      ),
    );
    expect(a).toBe(b);
    expect(requestDigest(recordedRequest({ ...base, maxOutputTokens: 6 }, (text) => text))).not.toBe(a);
  });

  it("reports the first difference of two requests", () => {
    expect(firstDifference({ a: "same" }, { a: "same" })).toBeUndefined();
    expect(
      firstDifference(
        { messages: [{ content: "hello world" }], maxOutputTokens: 5 },
        { messages: [{ content: "hello there" }], maxOutputTokens: 5 },
      ),
    ).toBe('messages[0].content at character 6: recorded "world", now "there"');
    expect(firstDifference({ maxOutputTokens: 5 }, { maxOutputTokens: 6 })).toBe(
      "maxOutputTokens: recorded 5, now 6",
    );
    expect(firstDifference({ messages: [1] }, { messages: [1, 2] })).toBe(
      "messages has more items now (2, recorded 1)",
    );
  });

  it("refuses files that are not cassettes, and ignores a torn last line", () => {
    const bad = join(temp, "bad.jsonl");
    writeFileSync(bad, '{"type":"run"}\n');
    expect(() => readCassette(bad)).toThrow(/not a hierocode cassette/);
    expect(() => readCassette(join(temp, "missing.jsonl"))).toThrow(/cannot read the cassette/);
    const torn = join(temp, "torn.jsonl");
    writeFileSync(torn, `${readCassetteText()}{"type":"call","seq":9`);
    expect(readCassette(torn).calls).toHaveLength(readCassette(fixture).calls.length);
  });

  it("answers from the fixture by role and order, then says when it runs out", async () => {
    const provider = new ReplayProvider("local", readCassette(fixture), { strict: false, env: {} });
    expect(provider.type).toBe("ollama");
    expect(provider.local).toBe(true);
    expect((await provider.capacity("qwen2.5-coder:7b")).contextLength).toBeGreaterThan(0);
    const request = {
      model: "qwen2.5-coder:7b",
      messages: [{ role: "user" as const, content: "anything" }],
      maxOutputTokens: 10,
      callTag: { role: "drafter" as const, purpose: "draft 1" },
    };
    const parts: string[] = [];
    for await (const part of provider.stream(request)) parts.push(part.type);
    expect(parts.at(-1)).toBe("finish");
    await expect(provider.generate(request)).rejects.toThrow(/has no more drafter calls \(it recorded 1\)/);
  });
});

function readCassetteText(): string {
  return `${readCassette(fixture).calls.reduce(
    (text, call) => `${text}${JSON.stringify(call)}\n`,
    `${JSON.stringify(readCassette(fixture).header)}\n`,
  )}`;
}

describe("the recorded fixture through the built CLI", { timeout: 30_000 }, () => {
  it("record show summarises it and draft --replay prints its diff with no server", async () => {
    const sandbox = makeSandbox({
      providers: { local: { type: "ollama", base_url: "http://127.0.0.1:9", max_retries: 0 } },
      routing: {
        planner: { provider: "local", model: "qwen2.5-coder:7b" },
        drafter: { provider: "local", model: "qwen2.5-coder:7b" },
      },
    });
    const show = await runCliProcess(sandbox, ["record", "show", fixture]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/drafter \(draft 1\) +local\/qwen2\.5-coder:7b/);
    const draft = await runCliProcess(sandbox, [
      "draft",
      "-t",
      "write 2 * x",
      "--file",
      "lib/deep/nested/util.py",
      "--replay",
      fixture,
      "--replay-mode",
      "order",
    ]);
    expect(draft.code, draft.stderr).toBe(0);
    expect(draft.stdout).toContain("+    return 2 * x");
  });
});
