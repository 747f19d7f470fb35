/**
 * The HTTP machinery the three fakes share: a real node:http server on 127.0.0.1, request
 * recording with parsed JSON bodies, waiting for requests without sleeping, and the script
 * actions that do not depend on the vendor format (delay, hang, fault, cut).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { interpretReply, type Script, type ScriptRequest } from "./script.js";

/**
 * Parsed JSON as received. Typed loosely on purpose: tests assert on arbitrary wire fields
 * (`request.body.options.num_ctx`) and the assertion itself is the type check.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type WireJson = any;

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** Parsed JSON body; undefined when there is none or it is not JSON. */
  body: WireJson;
  rawBody: string;
  /** The client closed the connection before the reply was complete (e.g. it aborted the call). */
  aborted: boolean;
}

export interface FakeServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  script: Script;
  /** Requests to one path (e.g. "/api/chat"). */
  requestsTo(path: string): RecordedRequest[];
  /** The latest request (to `path`, when given); throws when there is none. */
  lastRequest(path?: string): RecordedRequest;
  /** Resolves once at least `count` requests (to `path`, when given) have arrived. */
  waitForRequests(count: number, path?: string): Promise<RecordedRequest[]>;
  /**
   * The most requests matching `filter` that were open at the same time: from arrival until the
   * reply ended or the client went away (concurrency as the server saw it).
   */
  peakInFlight(filter?: (request: RecordedRequest) => boolean): number;
  close(): Promise<void>;
}

export type FakeHandler = (
  request: RecordedRequest,
  response: ServerResponse,
  incoming: IncomingMessage,
) => void | Promise<void>;

export interface StartedServer extends FakeServer {
  port: number;
}

function flattenHeaders(incoming: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeServer(
  script: Script,
  handler: FakeHandler,
  port = 0,
): Promise<StartedServer> {
  const requests: RecordedRequest[] = [];
  // Arrival and end of every request on one counter (ordering only, no clock).
  let sequence = 0;
  const spans = new Map<RecordedRequest, { start: number; end?: number }>();
  const waiters: Array<{
    count: number;
    path: string | undefined;
    resolve: (value: RecordedRequest[]) => void;
  }> = [];
  const matching = (path: string | undefined): RecordedRequest[] =>
    path === undefined ? requests : requests.filter((request) => request.path === path);
  const wake = (): void => {
    for (const waiter of [...waiters]) {
      const found = matching(waiter.path);
      if (found.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(found);
      }
    }
  };

  const server = createServer((incoming, response) => {
    void (async () => {
      const rawBody = await readBody(incoming);
      const url = new URL(incoming.url ?? "/", "http://fake");
      let body: unknown;
      try {
        body = rawBody.length > 0 ? (JSON.parse(rawBody) as unknown) : undefined;
      } catch {
        body = undefined;
      }
      const recorded: RecordedRequest = {
        method: incoming.method ?? "GET",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: flattenHeaders(incoming),
        body,
        rawBody,
        aborted: false,
      };
      const span: { start: number; end?: number } = { start: sequence++ };
      spans.set(recorded, span);
      response.on("close", () => {
        if (!response.writableFinished) recorded.aborted = true;
        span.end = sequence++;
      });
      requests.push(recorded);
      wake();
      try {
        await handler(recorded, response, incoming);
      } catch (error) {
        if (!response.headersSent)
          sendJson(response, 500, { error: `fake server bug: ${(error as Error).message}` });
        else response.destroy();
      }
    })();
  });
  // Idle keep-alive connections stay open until the client closes them, like Ollama's Go server
  // (net/http without IdleTimeout). Node's default (close after 5 s idle) raced the client reusing
  // the socket when a loaded machine delayed its own idle timer: "connection closed before a
  // response" in tests that pause between calls (verify runs). close() still ends them all.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    port: address.port,
    requests,
    script,
    requestsTo: (path) => matching(path),
    lastRequest(path) {
      const last = matching(path).at(-1);
      if (!last) throw new Error(`the fake server received no request${path ? ` to ${path}` : ""}`);
      return last;
    },
    waitForRequests(count, path) {
      return new Promise((resolve) => {
        waiters.push({ count, path, resolve });
        wake();
      });
    },
    peakInFlight(filter) {
      const steps: Array<[number, number]> = [];
      for (const [request, span] of spans) {
        if (filter && !filter(request)) continue;
        steps.push([span.start, 1]);
        if (span.end !== undefined) steps.push([span.end, -1]);
      }
      steps.sort((a, b) => a[0] - b[0]);
      let open = 0;
      let peak = 0;
      for (const [, change] of steps) {
        open += change;
        peak = Math.max(peak, open);
      }
      return peak;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, {
    "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json",
    "content-length": Buffer.byteLength(text).toString(),
    ...headers,
  });
  response.end(text);
}

/** Waits `ms`; resolves false when the client went away meanwhile. */
export function waitUnlessGone(response: ServerResponse, ms: number): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!response.destroyed);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      response.off("close", onClose);
      resolve(!response.destroyed && !response.writableEnded);
    }, ms);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    response.once("close", onClose);
  });
}

/** Sends a non-streamed JSON body but destroys the socket half-way through it. */
export function sendCutJson(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text).toString(),
  });
  response.write(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
  setImmediate(() => response.destroy());
}

/** Starts a streamed response (chunked) with the given content type. */
export function startStream(response: ServerResponse, contentType: string): void {
  response.writeHead(200, {
    "content-type": contentType,
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  response.flushHeaders();
}

/** Writes one stream piece and yields to the event loop so the client sees it as its own chunk. */
export function writePiece(response: ServerResponse, text: string): Promise<boolean> {
  if (response.destroyed) return Promise.resolve(false);
  response.write(text);
  return new Promise((resolve) => setImmediate(() => resolve(!response.destroyed)));
}

export function isGenerationPath(path: string, generationPaths: readonly string[]): boolean {
  return generationPaths.includes(path);
}

/**
 * Applies a script rule (one with a `path`) to a non-generation endpoint: delay, hang, cut or
 * fault. Returns true when the rule answered (or swallowed) the request, false to serve it normally.
 */
export async function applyEndpointRule(
  script: Script,
  request: ScriptRequest,
  response: ServerResponse,
  faultBody: (status: number) => unknown,
): Promise<boolean> {
  const override = script.resolve(request, false);
  if (!override) return false;
  if (!(await waitUnlessGone(response, override.delayMs))) return true;
  const action = interpretReply(override.reply);
  if (action.kind === "hang") return true;
  if (action.kind === "fault") {
    sendJson(response, action.status, action.body ?? faultBody(action.status), action.headers);
    return true;
  }
  if (action.cut) {
    response.destroy();
    return true;
  }
  return false;
}
