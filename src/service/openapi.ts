/** GET /v1/openapi.json: the service's endpoints, with bodies generated from the zod schemas. */
import * as z from "zod/v4";
import { VERSION } from "../version.js";
import {
  errorBody,
  health,
  taskCreated,
  taskRequest,
  taskView,
  workerRequest,
  workerResponse,
} from "./schemas.js";

const schemas = { errorBody, workerRequest, workerResponse, taskRequest, taskCreated, taskView, health };

function ref(name: string) {
  return { $ref: `#/components/schemas/${name}` };
}

function json(name: string, description: string) {
  return { description, content: { "application/json": { schema: ref(name) } } };
}

const errors = {
  "400": json("Error", "malformed JSON or a wrong field (error.field names it)"),
  "401": json("Error", "missing or wrong bearer token"),
  "413": json("Error", "request body over 1 MB"),
};

/** The OpenAPI 3.1 document. */
export function openApiDocument(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const schema of Object.values(schemas)) {
    const id = (schema.meta() as { id?: string } | undefined)?.id;
    if (id) registry.add(schema, { id });
  }
  const components = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    uri: (id) => `#/components/schemas/${id}`,
  });
  const taskId = { name: "id", in: "path", required: true, schema: { type: "string" } };
  return {
    openapi: "3.1.0",
    info: {
      title: "hierocode service",
      version: VERSION,
      description:
        "Runs the hierocode worker and whole plan → draft → review tasks from a durable queue. Results are diffs; the service never writes to a repository's working tree.",
    },
    components: {
      schemas: components.schemas,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearer: [] }],
    paths: {
      "/v1/health": { get: { summary: "liveness and queue", responses: { "200": json("Health", "ok") } } },
      "/v1/worker": {
        post: {
          summary: "one worker call (the HACO bridge contract)",
          requestBody: { required: true, content: { "application/json": { schema: ref("WorkerRequest") } } },
          responses: {
            "200": json("WorkerResponse", "the artifact, or ok: false with the error"),
            ...errors,
          },
        },
      },
      "/v1/tasks": {
        post: {
          summary: "queue a task",
          requestBody: { required: true, content: { "application/json": { schema: ref("TaskRequest") } } },
          responses: {
            "202": json("TaskCreated", "queued (or the job of the same idempotency_key)"),
            ...errors,
            "422": json("Error", "repo is not a git repository"),
          },
        },
      },
      "/v1/tasks/{id}": {
        get: {
          summary: "a task's state, progress and result",
          parameters: [taskId],
          responses: { "200": json("TaskView", "the task"), "404": json("Error", "unknown id") },
        },
      },
      "/v1/tasks/{id}/events": {
        get: {
          summary: "server-sent events: `progress` (a TaskView) on every change, then `done`",
          parameters: [taskId],
          responses: {
            "200": {
              description: "text/event-stream",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            "404": json("Error", "unknown id"),
          },
        },
      },
      "/v1/tasks/{id}/cancel": {
        post: {
          summary: "cancel a queued or running task",
          parameters: [taskId],
          responses: {
            "200": json("TaskView", "the task after the request"),
            "404": json("Error", "unknown id"),
          },
        },
      },
      "/mcp": {
        post: {
          summary: "the MCP tools over Streamable HTTP (stateless)",
          responses: { "200": { description: "MCP" } },
        },
      },
    },
  };
}
