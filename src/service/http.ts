/**
 * `hierocode serve`: the HTTP service on node:http. Loopback by default; any other bind needs a
 * bearer token. Every request: Host header checked against the bound names (DNS rebinding),
 * `Authorization: Bearer …` when a token is set (401), bodies over 1 MB refused (413). JSON
 * endpoints under /v1 (schemas.ts, published at /v1/openapi.json) and the MCP tools over
 * Streamable HTTP at /mcp. Results are diffs: nothing is written to a repository's working tree.
 */

import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname, networkInterfaces } from "node:os";
import { createMcpHandler } from "@modelcontextprotocol/server";
import type * as z from "zod/v4";
import { recoverRepository } from "../app/recover.js";
import { resolveWorkerBinding, runWorker } from "../app/worker.js";
import { SecretVault } from "../checks/redact.js";
import { loadConfigOrThrow } from "../config/load.js";
import { ConfigError } from "../errors.js";
import { toolErrorOf } from "../mcp/errors.js";
import { resolveRepoRoot } from "../mcp/paths.js";
import { createHierocodeMcpServer } from "../mcp/server.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import type { WorkerPool } from "../queue/pool.js";
import { type Job, type JobQueue, progressView, terminalStates } from "../queue/types.js";
import { VERSION } from "../version.js";
import { openApiDocument } from "./openapi.js";
import { taskRequest, type taskView, workerRequest } from "./schemas.js";

type Env = Record<string, string | undefined>;

/** Request bodies above this many bytes are refused with 413. */
export const maxBodyBytes = 1024 * 1024;

export interface ServiceOptions {
  host: string;
  port: number;
  /** Required from clients when set. */
  token?: string;
  queue: JobQueue;
  pool: WorkerPool;
  poolSize: number;
  env: Env;
  /** Folder used for config lookup of requests without a repo (the service's working directory). */
  cwd: string;
  runtime?: Partial<ProviderRuntime>;
  /** How often SSE streams look at the job (ms). */
  eventPollMs?: number;
  /** The service's log (stderr). */
  log?: (line: string) => void;
}

export interface RunningService {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Loopback addresses: the only binds allowed without a token. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** The host names a request may carry in its Host header for this bind. */
export function allowedHostNames(host: string): Set<string> {
  const bare = host.replace(/^\[|\]$/g, "");
  const names = new Set<string>([bare.toLowerCase()]);
  if (isLoopback(bare)) {
    for (const name of ["localhost", "127.0.0.1", "::1"]) names.add(name);
    return names;
  }
  names.add(hostname().toLowerCase());
  if (bare === "0.0.0.0" || bare === "::") {
    for (const list of Object.values(networkInterfaces()))
      for (const address of list ?? []) names.add(address.address.toLowerCase());
    names.add("localhost");
  }
  return names;
}

function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^\[([^\]]+)\](?::\d+)?$/.exec(header) ?? /^([^:]+)(?::\d+)?$/.exec(header);
  return match?.[1]?.toLowerCase();
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly suggestion: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  response.end(text);
}

function sendProblem(response: ServerResponse, problem: HttpProblem) {
  sendJson(
    response,
    problem.status,
    {
      error: {
        type: problem.type,
        message: problem.message,
        suggestion: problem.suggestion,
        ...(problem.field !== undefined ? { field: problem.field } : {}),
      },
    },
    problem.status === 401 ? { "www-authenticate": 'Bearer realm="hierocode"' } : {},
  );
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const declared = Number(request.headers["content-length"]);
  const tooLarge = () =>
    new HttpProblem(
      413,
      "too_large",
      `the request body is over ${maxBodyBytes} bytes`,
      "send a smaller body",
    );
  if (Number.isFinite(declared) && declared > maxBodyBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseJson<T>(raw: Buffer, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new HttpProblem(400, "input", `malformed JSON: ${(error as Error).message}`, "send a JSON object");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") ?? "";
    const unknownKeys =
      issue?.code === "unrecognized_keys" ? (issue as { keys: string[] }).keys.join(", ") : "";
    throw new HttpProblem(
      400,
      "input",
      `${unknownKeys ? `unknown field(s): ${unknownKeys}` : `${field || "body"}: ${issue?.message ?? "invalid"}`}`,
      "see GET /v1/openapi.json for the request schema",
      unknownKeys || field,
    );
  }
  return parsed.data;
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** A job as the API shows it. */
export function taskViewOf(job: Job): z.infer<typeof taskView> {
  return {
    id: job.id,
    state: job.state,
    attempts: job.attempts,
    progress: progressView(job.progress),
    ...(job.result
      ? {
          result: {
            run_id: job.result.runId,
            summary: job.result.summary,
            diffs: job.result.diffs,
            units: job.result.units,
            usage: job.result.usage,
          },
        }
      : {}),
    ...(job.error ? { error: job.error } : {}),
    created_at: new Date(job.createdAt).toISOString(),
    ...(job.finishedAt !== undefined ? { finished_at: iso(job.finishedAt) as string } : {}),
  };
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1].trim());
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Starts the HTTP service; resolves once it listens. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { queue, pool, env } = options;
  if (!isLoopback(options.host) && !options.token) {
    throw new ConfigError(`serve: binding ${options.host} (not loopback) requires a token`, [], {
      hint: "set HIEROCODE_SERVICE_TOKEN (or service.token in the config); clients send Authorization: Bearer <token>",
    });
  }
  const hosts = allowedHostNames(options.host);
  const pollMs = options.eventPollMs ?? 250;
  const jobs = async () => ({ queue, wake: () => pool.wake() });
  const mcp = createMcpHandler(() =>
    createHierocodeMcpServer({
      env,
      cwd: options.cwd,
      jobs,
      ...(options.runtime ? { runtime: options.runtime } : {}),
    }),
  );
  const streams = new Set<ServerResponse>();

  const loadJob = async (id: string): Promise<Job> => {
    const job = await queue.get(id);
    if (!job)
      throw new HttpProblem(404, "not_found", `no task '${id}'`, "use the id POST /v1/tasks returned");
    return job;
  };

  const events = async (id: string, response: ServerResponse, request: IncomingMessage) => {
    let job = await loadJob(id);
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    streams.add(response);
    let closed = false;
    request.on("close", () => {
      closed = true;
    });
    let last = "";
    let sequence = 0;
    let lastWrite = Date.now();
    for (;;) {
      const view = JSON.stringify(taskViewOf(job));
      if (view !== last) {
        last = view;
        sequence += 1;
        response.write(`id: ${sequence}\nevent: progress\ndata: ${view}\n\n`);
        lastWrite = Date.now();
      }
      if (terminalStates.has(job.state)) {
        response.write(`event: done\ndata: ${JSON.stringify({ id: job.id, state: job.state })}\n\n`);
        break;
      }
      if (Date.now() - lastWrite > 15_000) {
        response.write(": keep-alive\n\n");
        lastWrite = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      if (closed) break;
      job = (await queue.get(id)) ?? job;
    }
    streams.delete(response);
    response.end();
  };

  const forwardMcp = async (request: IncomingMessage, response: ServerResponse, body: Buffer) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
    }
    const controller = new AbortController();
    response.on("close", () => controller.abort());
    const webRequest = new Request(`http://${request.headers.host ?? "localhost"}${request.url ?? "/mcp"}`, {
      method: request.method ?? "POST",
      headers,
      ...(request.method === "GET" || request.method === "HEAD" ? {} : { body: new Uint8Array(body) }),
      signal: controller.signal,
    });
    const answer = await mcp.fetch(webRequest);
    const outHeaders: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      outHeaders[name] = value;
    });
    response.writeHead(answer.status, outHeaders);
    if (!answer.body) {
      response.end();
      return;
    }
    const reader = answer.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        response.write(value);
      }
    } catch {
      // client went away
    }
    response.end();
  };

  const route = async (request: IncomingMessage, response: ServerResponse) => {
    const host = hostOf(request.headers.host);
    if (!host || !hosts.has(host)) {
      throw new HttpProblem(
        403,
        "host",
        `Host '${request.headers.host ?? ""}' is not a name this service is bound to`,
        `use one of: ${[...hosts].slice(0, 5).join(", ")}`,
      );
    }
    if (options.token && !tokenMatches(request.headers.authorization, options.token)) {
      throw new HttpProblem(
        401,
        "auth",
        "a valid bearer token is required",
        "send Authorization: Bearer <HIEROCODE_SERVICE_TOKEN>",
      );
    }
    const url = new URL(request.url ?? "/", "http://service");
    const method = request.method ?? "GET";
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const needsBody = method === "POST" || method === "PUT" || method === "DELETE";
    const body = needsBody ? await readBody(request) : Buffer.alloc(0);
    const wrongMethod = (allowed: string) =>
      new HttpProblem(405, "input", `${method} is not supported on ${path}`, `use ${allowed}`);

    if (path === "/mcp") return forwardMcp(request, response, body);
    if (path === "/v1/health") {
      if (method !== "GET") throw wrongMethod("GET");
      return sendJson(response, 200, {
        ok: true,
        version: VERSION,
        queue: queue.kind,
        workers: options.poolSize,
        running: pool.running,
      });
    }
    if (path === "/v1/openapi.json") {
      if (method !== "GET") throw wrongMethod("GET");
      return sendJson(response, 200, openApiDocument());
    }
    if (path === "/v1/worker") {
      if (method !== "POST") throw wrongMethod("POST");
      const input = parseJson(body, workerRequest);
      const config = loadConfigOrThrow({ env }).config;
      const binding = resolveWorkerBinding(
        config,
        env,
        { env, ...(options.runtime ?? {}) },
        { model: input.model },
      );
      const controller = new AbortController();
      response.on("close", () => {
        if (!response.writableFinished) controller.abort();
      });
      const result = await runWorker({
        prompt: input.prompt,
        format: input.format ?? "code",
        provider: binding.provider,
        model: binding.model,
        timeoutMs: 300_000,
        retries: 1,
        maxOutputTokens: 4096,
        ...(binding.keepAlive ? { keepAlive: binding.keepAlive } : {}),
        vault: new SecretVault({ env, sendSecretFiles: config.policy.send_secret_files }),
        signal: controller.signal,
      });
      return sendJson(response, 200, {
        ok: result.ok,
        output: result.output,
        ...(result.error !== undefined ? { error: result.error } : {}),
        model: result.model,
        timing: result.timing,
      });
    }
    if (path === "/v1/tasks") {
      if (method !== "POST") throw wrongMethod("POST");
      const input = parseJson(body, taskRequest);
      let repo: string;
      try {
        repo = resolveRepoRoot(input.repo, options.cwd);
        // Repaired now (the client may read the tree next) and again when a worker runs the job.
        for (const line of recoverRepository(repo, options.env)) options.log?.(line);
      } catch (error) {
        const shape = toolErrorOf(error);
        throw new HttpProblem(422, shape.type, shape.message, shape.suggestion, "repo");
      }
      const { job, existing } = await queue.submit(
        { task: input.task, repo, ...(input.verify ? { verify: true } : {}) },
        {
          ...(input.idempotency_key ? { idempotencyKey: input.idempotency_key } : {}),
          ...(input.priority !== undefined ? { priority: input.priority } : {}),
        },
      );
      pool.wake();
      return sendJson(
        response,
        202,
        { id: job.id, state: job.state, existing },
        { location: `/v1/tasks/${job.id}` },
      );
    }
    const task = /^\/v1\/tasks\/([\w-]+)(\/events|\/cancel)?$/.exec(path);
    if (task?.[1]) {
      const id = task[1];
      if (task[2] === "/events") {
        if (method !== "GET") throw wrongMethod("GET");
        return events(id, response, request);
      }
      if (task[2] === "/cancel") {
        if (method !== "POST") throw wrongMethod("POST");
        const job = await queue.cancel(id);
        if (!job)
          throw new HttpProblem(404, "not_found", `no task '${id}'`, "use the id POST /v1/tasks returned");
        return sendJson(response, 200, taskViewOf(job));
      }
      if (method !== "GET") throw wrongMethod("GET");
      return sendJson(response, 200, taskViewOf(await loadJob(id)));
    }
    throw new HttpProblem(404, "not_found", `no endpoint ${method} ${path}`, "see GET /v1/openapi.json");
  };

  const server: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.end();
        return;
      }
      if (error instanceof HttpProblem) {
        sendProblem(response, error);
        // drain what is left of a refused body so the client reads the answer
        if (error.status === 413) request.resume();
        return;
      }
      const shape = toolErrorOf(error);
      const status = shape.type === "config" || shape.type === "input" ? 400 : 500;
      sendProblem(response, new HttpProblem(status, shape.type, shape.message, shape.suggestion));
    });
  });
  server.requestTimeout = 0; // SSE streams and long worker calls stay open
  // Clients keep sockets alive for a while (undici: 4 s); closing idle ones later than that avoids
  // reusing a socket the server is just closing. Same values as common reverse proxies.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    async close() {
      for (const stream of streams) stream.end();
      await mcp.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
