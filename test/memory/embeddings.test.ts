/**
 * Memory retrieval by embeddings against the fake Ollama and OpenAI-compatible servers: the
 * fakes' /api/embed and /v1/embeddings answer and refuse as the real servers do; a paraphrase
 * that FTS5 misses is found through embeddings and fused with BM25 (RRF); vectors are stored
 * with their model and re-embedded when the model changes; a failing server leaves FTS5 and one
 * warning; the planner gets the note; `doctor` checks the embedding model.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors.js";
import { cosine, type Embedder, embedderFor, searchHybrid } from "../../src/memory/embeddings.js";
import { plannerMemoryFor } from "../../src/memory/retrieve.js";
import { addNote, forgetNote, openMemory } from "../../src/memory/store.js";
import { OllamaProvider } from "../../src/providers/ollama.js";
import { OpenAiCompatibleProvider } from "../../src/providers/openai-compatible.js";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import {
  defaultOllamaModels,
  type FakeOllama,
  nomicEmbedModel,
  startFakeOllama,
} from "../kit/fake-ollama.js";
import { defaultOpenAiModels, type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { unit } from "../pipeline/support/harness.js";

const EMBED = "nomic-embed-text";
const counter = { name: "chars/4", exact: false, count: (text: string) => Math.ceil(text.length / 4) };

let ollama: FakeOllama;
let openai: FakeOpenAi;
let base: string;
let env: Record<string, string>;

beforeEach(async () => {
  ollama = await startFakeOllama(undefined, { models: [...defaultOllamaModels(), nomicEmbedModel()] });
  openai = await startFakeOpenAI(undefined, {
    models: [...defaultOpenAiModels(), { id: "text-embedding-3-small", embedding: true, dims: 1536 }],
  });
  base = mkdtempSync(join(tmpdir(), "haco-embed-"));
  env = { HIEROCODE_DATA_DIR: join(base, "data"), HOME: base };
});

afterEach(async () => {
  await Promise.all([ollama.close(), openai.close()]);
  rmSync(base, { recursive: true, force: true });
});

function config(embeddings: Record<string, unknown> | undefined) {
  return {
    providers: {
      local: {
        type: "ollama" as const,
        base_url: ollama.url,
        max_retries: 0,
        auth: { type: "none" as const },
      },
      oai: {
        type: "openai_compatible" as const,
        base_url: openai.baseUrl,
        max_retries: 0,
        auth: { type: "none" as const },
      },
    },
    memory: {
      enabled: true,
      max_tokens: 500,
      adaptive: true,
      ...(embeddings ? { embeddings: { min_similarity: 0.25, ...embeddings } } : {}),
    },
  } as unknown as Parameters<typeof embedderFor>[0];
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("fake /api/embed and /v1/embeddings speak the real protocol", () => {
  it("Ollama: vectors, empty input, refusals", async () => {
    const ok = await post(`${ollama.url}/api/embed`, {
      model: EMBED,
      input: ["a database migration", "tabs"],
    });
    expect(ok.status).toBe(200);
    const json = (await ok.json()) as { model: string; embeddings: number[][]; prompt_eval_count: number };
    expect(json.model).toBe(EMBED);
    expect(json.embeddings).toHaveLength(2);
    expect(json.embeddings[0]).toHaveLength(768);
    expect(Math.hypot(...(json.embeddings[0] as number[]))).toBeCloseTo(1, 6);
    expect(json.prompt_eval_count).toBeGreaterThan(0);
    const missing = await post(`${ollama.url}/api/embed`, { model: EMBED });
    expect([missing.status, await missing.json()]).toEqual([200, { model: EMBED, embeddings: [] }]);
    const unknown = await post(`${ollama.url}/api/embed`, { model: "x", input: "hi" });
    expect([unknown.status, await unknown.json()]).toEqual([
      404,
      { error: 'model "x" not found, try pulling it first' },
    ]);
    const badType = await post(`${ollama.url}/api/embed`, { model: EMBED, input: [1, 2] });
    expect([badType.status, await badType.json()]).toEqual([400, { error: "invalid input type" }]);
    const chatModel = await post(`${ollama.url}/api/embed`, { model: "qwen2.5-coder:7b", input: "hi" });
    expect(chatModel.status).toBe(501);
    const noBody = await post(`${ollama.url}/api/embed`, "");
    expect([noBody.status, await noBody.json()]).toEqual([400, { error: "missing request body" }]);
    const long = await post(`${ollama.url}/api/embed`, {
      model: EMBED,
      input: "word ".repeat(3000),
      truncate: false,
    });
    expect([long.status, await long.json()]).toEqual([
      400,
      { error: "input length exceeds maximum context length" },
    ]);
  });

  it("OpenAI-compatible: data with indexes and usage, refusals", async () => {
    const ok = await post(`${openai.baseUrl}/embeddings`, {
      model: "text-embedding-3-small",
      input: ["a", "bb"],
    });
    const json = (await ok.json()) as {
      object: string;
      data: Array<{ object: string; index: number; embedding: number[] }>;
      usage: { prompt_tokens: number };
    };
    expect(json.object).toBe("list");
    expect(json.data.map((item) => [item.object, item.index, item.embedding.length])).toEqual([
      ["embedding", 0, 1536],
      ["embedding", 1, 1536],
    ]);
    expect(json.usage.prompt_tokens).toBeGreaterThan(0);
    const noInput = await post(`${openai.baseUrl}/embeddings`, { model: "text-embedding-3-small" });
    expect(noInput.status).toBe(400);
    expect(((await noInput.json()) as { error: { message: string } }).error.message).toBe(
      "'input' is a required property",
    );
    const empty = await post(`${openai.baseUrl}/embeddings`, {
      model: "text-embedding-3-small",
      input: [""],
    });
    expect(((await empty.json()) as { error: { message: string } }).error.message).toMatch(
      /^'\$\.input' is invalid/,
    );
    const unknown = await post(`${openai.baseUrl}/embeddings`, { model: "nope", input: "a" });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
  });

  it("the providers' embed() reads both shapes and maps an unknown model to model_not_found", async () => {
    const runtime = { env: {} };
    const local = new OllamaProvider("local", config(undefined).providers.local as never, runtime);
    const result = await local.embed({
      model: EMBED,
      input: ["database migrations", "migrating a database"],
    });
    expect(result.vectors).toHaveLength(2);
    expect(cosine(result.vectors[0] as number[], result.vectors[1] as number[])).toBeGreaterThan(0.3);
    const error = await local.embed({ model: "all-minilm", input: ["x"] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("model_not_found");
    expect((error as ProviderError).hint).toBe("ollama pull all-minilm");
    const remote = new OpenAiCompatibleProvider("oai", config(undefined).providers.oai as never, runtime);
    const remoteResult = await remote.embed({
      model: "text-embedding-3-small",
      input: ["a b c d", "e f g h"],
    });
    expect(remoteResult.vectors.map((vector) => vector.length)).toEqual([1536, 1536]);
    expect(openai.requestsTo("/v1/embeddings")[0]?.body).toEqual({
      model: "text-embedding-3-small",
      input: ["a b c d", "e f g h"],
      encoding_format: "float",
    });
  });
});

describe("hybrid memory search", () => {
  const notes = [
    "Database migrations must always be reversible and tested on a copy",
    "Use pnpm, never npm, in this monorepo",
    "Release notes go in CHANGELOG.md under Unreleased",
  ];
  // Shares no whole word with any note: FTS5 finds nothing.
  const paraphrase = "migrating schemas of the tables";

  it("finds a paraphrase FTS5 misses, stores vectors with their model, re-embeds on a model change", async () => {
    for (const text of notes) addNote(env, { text });
    const ftsOnly = await searchHybrid(env, paraphrase);
    expect(ftsOnly).toEqual({ notes: [], method: "fts" });
    const embedder = embedderFor(config({ provider: "local", model: EMBED }), env) as Embedder;
    const found = await searchHybrid(env, paraphrase, { embedder, minSimilarity: 0.25 });
    expect(found.method).toBe("hybrid");
    expect(found.notes.map((note) => note.text)).toEqual([notes[0]]);
    expect(found.notes[0]?.similarity).toBeGreaterThan(0.25);
    expect(found.notes[0]?.fts_rank).toBeUndefined();
    // One call embedded the three notes, one the query.
    const calls = ollama.requestsTo("/api/embed");
    expect(calls.map((call) => (call.body as { input: string[] }).input.length)).toEqual([3, 1]);
    const stored = openMemory(env)
      .prepare("SELECT note_id, model, dims FROM memory_vectors ORDER BY note_id")
      .all();
    expect(stored).toEqual([
      { note_id: 1, model: `local/${EMBED}`, dims: 768 },
      { note_id: 2, model: `local/${EMBED}`, dims: 768 },
      { note_id: 3, model: `local/${EMBED}`, dims: 768 },
    ]);
    // Again: only the query is embedded.
    await searchHybrid(env, paraphrase, { embedder, minSimilarity: 0.25 });
    expect(ollama.requestsTo("/api/embed")).toHaveLength(3);
    // A word both rankings find is fused first (RRF).
    const both = await searchHybrid(env, "reversible database migrations", { embedder, minSimilarity: 0.25 });
    expect(both.notes[0]).toMatchObject({ text: notes[0], fts_rank: 1 });
    expect(both.notes[0]?.similarity).toBeGreaterThan(0.5);
    // Another model: every note is embedded again, and stored with the new model.
    const other = embedderFor(config({ provider: "oai", model: "text-embedding-3-small" }), env) as Embedder;
    const again = await searchHybrid(env, paraphrase, { embedder: other, minSimilarity: 0.2 });
    expect(again.warning).toBeUndefined();
    expect(again.notes.map((note) => note.text)).toEqual([notes[0]]);
    expect(
      openai.requestsTo("/v1/embeddings").map((call) => (call.body as { input: string[] }).input.length),
    ).toEqual([3, 1]);
    expect(openMemory(env).prepare("SELECT DISTINCT model, dims FROM memory_vectors").all()).toEqual([
      { model: "oai/text-embedding-3-small", dims: 1536 },
    ]);
    // Forgetting a note drops its vector.
    forgetNote(env, 1);
    expect(openMemory(env).prepare("SELECT COUNT(*) AS n FROM memory_vectors").get()).toEqual({ n: 2 });
  });

  it("falls back to FTS5 with one warning when the embedding model is missing or the server is down", async () => {
    for (const text of notes) addNote(env, { text });
    const missing = embedderFor(config({ provider: "local", model: "all-minilm" }), env) as Embedder;
    const result = await searchHybrid(env, "pnpm monorepo", { embedder: missing });
    expect(result.method).toBe("fts");
    expect(result.notes.map((note) => note.text)).toEqual([notes[1]]);
    expect(result.warning).toMatch(
      /^memory embeddings \(local\/all-minilm\) failed, full-text search only: local: model 'all-minilm' is not pulled/,
    );
    expect(result.warning?.split("\n")).toHaveLength(1);
    await ollama.close();
    const embedder = embedderFor(config({ provider: "local", model: EMBED }), env) as Embedder;
    const down = await searchHybrid(env, "pnpm monorepo", { embedder });
    expect(down.method).toBe("fts");
    expect(down.notes).toHaveLength(1);
    expect(down.warning).toMatch(/full-text search only/);
  });

  it("gives the planner the paraphrased note, marked as found by embedding", async () => {
    for (const text of notes) addNote(env, { text });
    const warnings: string[] = [];
    const memory = await plannerMemoryFor({
      config: config({ provider: "local", model: EMBED }) as never,
      env,
      task: paraphrase,
      repoRoot: base,
      counter,
      onWarning: (message) => warnings.push(message),
    });
    expect(warnings).toEqual([]);
    expect(memory.plannerMemory?.text).toContain(notes[0]);
    expect(memory.plannerMemory?.notes).toEqual([{ id: 1, kind: "note", scope: "global", via: "embedding" }]);
    // A provider type without embeddings: a warning, and FTS5 alone (which finds nothing here).
    const broken = await plannerMemoryFor({
      config: config({ provider: "nowhere", model: EMBED }) as never,
      env,
      task: paraphrase,
      repoRoot: base,
      counter,
      onWarning: (message) => warnings.push(message),
    });
    expect(broken).toEqual({});
    expect(warnings).toEqual([
      "memory embeddings not used, full-text search only: memory.embeddings.provider 'nowhere' is not defined under providers",
    ]);
  });
});

describe("memory search and doctor through the CLI", { timeout: 60_000 }, () => {
  let anthropic: FakeAnthropic;
  let sandbox: Sandbox;
  afterEach(async () => {
    await anthropic.close();
    rmSync(dirname(sandbox.repo), { recursive: true, force: true });
  });

  function setup(model: string) {
    sandbox = makeSandbox({
      ...roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }),
      memory: { embeddings: { provider: "local", model, min_similarity: 0.25 } },
    });
    sandbox.env.HIEROCODE_DATA_DIR = join(sandbox.home, "data");
  }

  beforeEach(async () => {
    anthropic = await startFakeAnthropic();
    anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: "s", units: [unit("u1", ["a.ts"])] } },
    );
  });

  it("memory search fuses embeddings; doctor checks the model", async () => {
    setup(EMBED);
    for (const text of ["Database migrations must always be reversible", "Use pnpm in this monorepo"]) {
      expect((await runCliProcess(sandbox, ["memory", "add", text])).code).toBe(0);
    }
    const search = await runCliProcess(sandbox, [
      "memory",
      "search",
      "migrating",
      "schemas",
      "of",
      "the",
      "tables",
      "--json",
    ]);
    expect(search.code, search.stderr).toBe(0);
    const parsed = JSON.parse(search.stdout) as { method: string; notes: Array<{ text: string }> };
    expect(parsed.method).toBe("hybrid");
    expect(parsed.notes.map((note) => note.text)).toEqual(["Database migrations must always be reversible"]);
    const doctor = await runCliProcess(sandbox, ["doctor", "--json"]);
    const report = JSON.parse(doctor.stdout) as {
      checks: Array<{ subject: string; status: string; message: string }>;
    };
    const check = report.checks.find((item) => item.subject.startsWith("memory.embeddings"));
    expect(check).toMatchObject({ subject: `memory.embeddings (local/${EMBED})`, status: "ok" });
    expect(check?.message).toMatch(/768 dimensions/);
  });

  it("plan gives the planner a paraphrased note found by embeddings; a broken model warns once and plans", async () => {
    setup(EMBED);
    const note = "Database migrations must always be reversible";
    expect((await runCliProcess(sandbox, ["memory", "add", note])).code).toBe(0);
    const plan = await runCliProcess(sandbox, ["plan", "-t", "migrating schemas of the tables", "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const planner = anthropic.requestsTo("/v1/messages").at(-1);
    expect(JSON.stringify(planner?.body)).toContain(note);
    expect(plan.stderr).not.toMatch(/warning/);

    rmSync(dirname(sandbox.repo), { recursive: true, force: true });
    setup("all-minilm");
    expect((await runCliProcess(sandbox, ["memory", "add", note])).code).toBe(0);
    const broken = await runCliProcess(sandbox, ["plan", "-t", "reversible migrations please", "--json"]);
    expect(broken.code, broken.stderr).toBe(0);
    expect(broken.stderr.match(/warning: memory embeddings/g)).toHaveLength(1);
    // FTS5 still found it by its words.
    expect(JSON.stringify(anthropic.requestsTo("/v1/messages").at(-1)?.body)).toContain(note);
  });

  it("doctor warns with a pull hint for a missing embedding model; search warns and uses FTS5", async () => {
    setup("all-minilm");
    expect((await runCliProcess(sandbox, ["memory", "add", "Use pnpm in this monorepo"])).code).toBe(0);
    const doctor = await runCliProcess(sandbox, ["doctor", "--json"]);
    const report = JSON.parse(doctor.stdout) as {
      checks: Array<{ subject: string; status: string; message: string; hint?: string }>;
    };
    const check = report.checks.find((item) => item.subject.startsWith("memory.embeddings"));
    expect(check).toMatchObject({
      status: "warn",
      hint: "ollama pull all-minilm (an embedding model such as nomic-embed-text)",
    });
    const search = await runCliProcess(sandbox, ["memory", "search", "pnpm", "--json"]);
    expect(search.code).toBe(0);
    expect(JSON.parse(search.stdout)).toMatchObject({
      method: "fts",
      notes: [{ text: "Use pnpm in this monorepo" }],
    });
    expect(search.stderr.trim().split("\n")).toHaveLength(1);
    expect(search.stderr).toMatch(
      /warning: memory embeddings \(local\/all-minilm\) failed, full-text search only/,
    );
  });
});
