/**
 * `hierocode serve` end to end: the BUILT CLI as a service against the fake model servers.
 * Endpoints and their errors, SSE, idempotency, MCP over Streamable HTTP, token auth on a
 * non-loopback bind, the Host check, and kill -9 in the middle of a task (planner paid once).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { FakeAnthropic } from "../kit/fake-anthropic.js";
import type { FakeOllama } from "../kit/fake-ollama.js";
import type { FakeOpenAi } from "../kit/fake-openai.js";
import {
  gitIn,
  leaveHalfWrittenTree,
  makeSandbox,
  roleConfig,
  runCliProcess,
  type Sandbox,
  waitFor,
} from "../pipeline/support/e2e.js";
import { searchReplace, unit, wholeFile } from "../pipeline/support/harness.js";
import {
  acceptVerdict,
  type RoleFakes,
  removeSandbox,
  scriptOneUnitRun,
  startRoleFakes,
} from "../pipeline/support/role-fakes.js";
import { type ServeProcess, spawnServe, waitForTask, withRetries } from "./support.js";

let fakes: RoleFakes;
let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox;
const processes: ServeProcess[] = [];

function configure(service: Record<string, unknown> = {}) {
  const config = {
    ...withRetries(roleConfig(fakes.urls)),
    service: { lease_seconds: 2, workers: 2, ...service },
  };
  writeFileSync(join(sandbox.home, ".hierocode.yaml"), stringify(config));
}

beforeEach(async () => {
  fakes = await startRoleFakes();
  ({ anthropic, ollama, openai } = fakes);
  openai.script.setDefault(acceptVerdict);
  sandbox = makeSandbox({});
  configure();
});

afterEach(async () => {
  for (const serve of processes.splice(0)) await serve.stop();
  await fakes.close();
  removeSandbox(sandbox);
});

async function start(args: string[] = ["--port", "0"], env: Record<string, string> = {}) {
  const serve = await spawnServe(sandbox, args, env);
  processes.push(serve);
  return serve;
}

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

const planOneUnit = () => scriptOneUnitRun(fakes);

/** A raw request (fetch would not send a wrong Host header). */
function rawRequest(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
) {
  const target = new URL(url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? "GET",
        path: options.path,
        headers: options.headers,
      },
      (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("hierocode serve", { timeout: 90_000 }, () => {
  it("answers health, OpenAPI, the worker contract, and refuses bad input with 400/404/413/422", async () => {
    ollama.script.setDefault({ text: "```python\ndef add(a, b):\n    return a + b\n```" });
    const serve = await start();
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await (await fetch(`${serve.url}/v1/health`)).json();
    expect(health).toMatchObject({ ok: true, queue: "sqlite", workers: 2 });

    const openapi = (await (await fetch(`${serve.url}/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    expect(openapi.openapi).toBe("3.1.0");
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        "/v1/worker",
        "/v1/tasks",
        "/v1/tasks/{id}",
        "/v1/tasks/{id}/events",
        "/v1/tasks/{id}/cancel",
        "/v1/health",
        "/mcp",
      ]),
    );
    expect(openapi.components.schemas.TaskRequest?.required).toEqual(["task", "repo"]);

    const worker = await fetch(`${serve.url}/v1/worker`, json({ prompt: "write add(a, b)" }));
    expect(worker.status).toBe(200);
    const artifact = (await worker.json()) as Record<string, unknown>;
    expect(Object.keys(artifact).sort()).toEqual(["model", "ok", "output", "timing"]);
    expect(artifact).toMatchObject({
      ok: true,
      model: "qwen2.5-coder:7b",
      output: "def add(a, b):\n    return a + b",
    });

    const malformed = await fetch(`${serve.url}/v1/tasks`, { method: "POST", body: "{not json" });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toMatch(
      /malformed JSON/,
    );
    const wrongField = await fetch(`${serve.url}/v1/tasks`, json({ task: 5, repo: sandbox.repo }));
    expect(wrongField.status).toBe(400);
    expect(((await wrongField.json()) as { error: { field: string } }).error.field).toBe("task");
    const extraField = await fetch(
      `${serve.url}/v1/tasks`,
      json({ task: "x", repo: sandbox.repo, apply: true }),
    );
    expect(extraField.status).toBe(400);
    expect(((await extraField.json()) as { error: { field: string } }).error.field).toBe("apply");

    expect((await fetch(`${serve.url}/v1/tasks/job_unknown`)).status).toBe(404);
    expect((await fetch(`${serve.url}/v1/tasks/job_unknown/cancel`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${serve.url}/v1/nothing`)).status).toBe(404);

    const big = await fetch(`${serve.url}/v1/worker`, json({ prompt: "x".repeat(1024 * 1024 + 10) }));
    expect(big.status).toBe(413);

    const notGit = mkdtempSync(join(tmpdir(), "haco-notgit-"));
    try {
      const refused = await fetch(`${serve.url}/v1/tasks`, json({ task: "x", repo: notGit }));
      expect(refused.status).toBe(422);
      const body = (await refused.json()) as { error: { type: string; message: string; field: string } };
      expect(body.error).toMatchObject({ type: "path", field: "repo" });
      expect(body.error.message).toMatch(/not a git repository/);
    } finally {
      rmSync(notGit, { recursive: true, force: true });
    }
    expect(anthropic.requests).toHaveLength(0);
  });

  it("runs a queued task, streams its progress as SSE, returns diffs, and writes nothing to the repository", async () => {
    planOneUnit();
    const serve = await start();
    const created = await fetch(
      `${serve.url}/v1/tasks`,
      json({ task: "simplify double", repo: sandbox.repo, idempotency_key: "k-1" }),
    );
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const again = (await (
      await fetch(
        `${serve.url}/v1/tasks`,
        json({ task: "simplify double", repo: sandbox.repo, idempotency_key: "k-1" }),
      )
    ).json()) as { id: string; existing: boolean };
    expect(again).toMatchObject({ id, existing: true });

    const events = await fetch(`${serve.url}/v1/tasks/${id}/events`);
    expect(events.headers.get("content-type")).toMatch(/text\/event-stream/);
    const stream = await events.text(); // ends after the `done` event
    const progress = [...stream.matchAll(/event: progress\ndata: (.+)\n/g)].map(
      (match) => JSON.parse(match[1] ?? "{}") as { state: string; progress: { message: string } | null },
    );
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)?.state).toBe("succeeded");
    expect(stream).toMatch(/event: done\ndata: \{"id":"[^"]+","state":"succeeded"\}/);

    const view = (await (await fetch(`${serve.url}/v1/tasks/${id}`)).json()) as {
      state: string;
      result: {
        diffs: Array<{ file: string; diff: string }>;
        units: Array<{ status: string }>;
        usage: Record<string, { calls: number }>;
      };
    };
    expect(view.state).toBe("succeeded");
    expect(view.result.diffs.map((item) => item.file)).toEqual(["lib/deep/nested/util.py"]);
    expect(view.result.usage.planner?.calls).toBe(1);
    expect(gitIn(sandbox, ["apply", "--check", "-"], view.result.diffs[0]?.diff).status).toBe(0);
    expect(gitIn(sandbox, ["status", "--porcelain", "--ignored"]).stdout).not.toMatch(/\.haco|util\.py/);
    expect(anthropic.requestsTo("/v1/messages")).toHaveLength(1);
  });

  it("completes a write a killed hierocode left half done before a task reads the repository", async () => {
    const newStrings =
      'export function shout(text: string): string {\n  return text.toUpperCase() + "!";\n}\n';
    const newUtil = "def double(x):\n    return x + x\n";
    await leaveHalfWrittenTree(sandbox, {
      "src/app/strings.ts": newStrings,
      "lib/deep/nested/util.py": newUtil,
    });
    anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: "one step", units: [unit("u1", ["lib/deep/nested/util.py"])] } },
    );
    // the drafter edits the NEW content of the file the crash had not written yet
    ollama.script.on(
      { user: "lib/deep/nested/util.py" },
      { text: searchReplace("lib/deep/nested/util.py", "    return x + x", "    return 2 * x") },
    );
    const serve = await start();
    const created = await fetch(`${serve.url}/v1/tasks`, json({ task: "write 2 * x", repo: sandbox.repo }));
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const view = (await waitForTask(serve.url, id)) as {
      state: string;
      result?: { diffs: Array<{ file: string; diff: string }> };
    };
    expect(view.state, `${JSON.stringify(view)}\n${serve.stderr()}`).toBe("succeeded");
    expect(view.result?.diffs[0]?.diff).toContain("-    return x + x");
    expect(serve.stderr()).toMatch(/interrupted write .* was completed: 2 file\(s\)/);
    expect(readFileSync(join(sandbox.repo, "src/app/strings.ts"), "utf8")).toBe(newStrings);
    expect(readFileSync(join(sandbox.repo, "lib/deep/nested/util.py"), "utf8")).toBe(newUtil);
    expect(gitIn(sandbox, ["status", "--porcelain", "--untracked-files=all"]).stdout).toBe(
      " M lib/deep/nested/util.py\n M src/app/strings.ts\n",
    );
  });

  it("picks up ticket files from .haco/queue/ of a watched repository and writes the results beside them", async () => {
    planOneUnit();
    configure({ watch: [sandbox.repo] });
    const folder = join(sandbox.repo, ".haco", "queue");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "simplify.md"), "simplify double\n");
    await start();
    await waitFor(() => existsSync(join(folder, "simplify.result.json")), 40_000);
    const result = JSON.parse(readFileSync(join(folder, "simplify.result.json"), "utf8")) as {
      state: string;
    };
    expect(result.state).toBe("succeeded");
    const diff = readFileSync(join(folder, "simplify.diff"), "utf8");
    expect(diff).toContain("+    return x + x");
    expect(gitIn(sandbox, ["apply", "--check", "-"], diff).status).toBe(0);
  });

  it("cancels a queued task", async () => {
    const serve = await start(["--port", "0", "--workers", "0"]);
    const { id } = (await (
      await fetch(`${serve.url}/v1/tasks`, json({ task: "x", repo: sandbox.repo }))
    ).json()) as {
      id: string;
    };
    const cancelled = await fetch(`${serve.url}/v1/tasks/${id}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { state: string }).state).toBe("cancelled");
  });

  it("serves the MCP tools over Streamable HTTP at /mcp", async () => {
    const serve = await start();
    const client = new Client({ name: "hierocode-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${serve.url}/mcp`)));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain("draft_code");
      const info = await client.callTool({ name: "drafter_info", arguments: {} });
      expect(info.structuredContent).toMatchObject({
        status: "ok",
        drafter_model: "qwen2.5-coder:7b",
        reachable: true,
      });
    } finally {
      await client.close();
    }
  });

  it("checks the Host header against the bound names", async () => {
    const serve = await start();
    const port = new URL(serve.url).port;
    const evil = await rawRequest(serve.url, {
      path: "/v1/health",
      headers: { host: `evil.example:${port}` },
    });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error.type).toBe("host");
    const good = await rawRequest(serve.url, { path: "/v1/health", headers: { host: `localhost:${port}` } });
    expect(good.status).toBe(200);
  });

  it("refuses a non-loopback bind without a token, and requires the bearer token with one", async () => {
    const refused = await runCliProcess(sandbox, ["serve", "--host", "0.0.0.0", "--port", "0"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /error: serve: binding 0\.0\.0\.0 \(not loopback\) requires a token[\s\S]*hint: .*HIEROCODE_SERVICE_TOKEN/,
    );

    const token = "test-token-0123456789";
    const serve = await start(["--host", "0.0.0.0", "--port", "0"], { HIEROCODE_SERVICE_TOKEN: token });
    const url = serve.url.replace("0.0.0.0", "127.0.0.1");
    const none = await fetch(`${url}/v1/health`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/Bearer/);
    expect(
      (await fetch(`${url}/v1/health`, { headers: { authorization: "Bearer wrong-token-0123456789" } }))
        .status,
    ).toBe(401);
    expect((await fetch(`${url}/v1/health`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    const mcp = await fetch(`${url}/mcp`, json({ jsonrpc: "2.0", id: 1, method: "tools/list" }));
    expect(mcp.status).toBe(401);
  });

  it("kill -9 in the middle of a task: on restart the job is leased again and resumes from its run log", async () => {
    anthropic.script.on(
      { system: "You are the planner" },
      {
        json: {
          summary: "two steps",
          units: [
            unit("u1", ["src/app/math.ts"]),
            unit("u2", ["lib/deep/nested/util.py"], { depends_on: ["u1"] }),
          ],
        },
      },
    );
    const addMul =
      "export function add(a: number, b: number): number {\n  return a + b;\n}\nexport const mul = (a: number, b: number) => a * b;\n";
    ollama.script.on({ user: "src/app/math.ts" }, { text: wholeFile("src/app/math.ts", addMul) });
    ollama.script.on({ user: "lib/deep/nested/util.py" }, "hang", { times: 1 });
    ollama.script.on(
      { user: "lib/deep/nested/util.py" },
      { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return x + x") },
    );
    const first = await start();
    const { id } = (await (
      await fetch(`${first.url}/v1/tasks`, json({ task: "add mul, simplify double", repo: sandbox.repo }))
    ).json()) as {
      id: string;
    };
    // u2's draft is in flight (and hangs): u1 is finished and logged
    await waitForDrafts(2);
    first.child.kill("SIGKILL");
    await first.exited;

    const second = await start();
    const view = (await waitForTask(second.url, id)) as {
      state: string;
      attempts: number;
      result: { diffs: Array<{ file: string }>; summary: string };
    };
    expect(view.state, `${JSON.stringify(view)}\n${first.stderr()}\n${second.stderr()}`).toBe("succeeded");
    expect(view.attempts).toBe(2);
    expect(view.result.summary).toMatch(/resumed/);
    expect(view.result.diffs.map((item) => item.file).sort()).toEqual([
      "lib/deep/nested/util.py",
      "src/app/math.ts",
    ]);
    expect(anthropic.requestsTo("/v1/messages")).toHaveLength(1); // the planner was paid once
    const drafts = (file: string) =>
      ollama.requestsTo("/api/chat").filter((request) => JSON.stringify(request.body).includes(file)).length;
    expect(drafts("src/app/math.ts")).toBe(1); // u1 was not drafted again
    expect(gitIn(sandbox, ["status", "--porcelain"]).stdout.trim()).toBe("");
  });
});

async function waitForDrafts(count: number) {
  await ollama.waitForRequests(count, "/api/chat");
}
