/**
 * The service's request and response bodies as zod schemas: requests are validated with them
 * (400 names the field path), and GET /v1/openapi.json publishes them (openapi.ts).
 */
import * as z from "zod/v4";
import { workerFormats } from "../supervisor/clean-artifact.js";

export const errorBody = z
  .object({
    error: z.object({
      type: z
        .string()
        .describe("path, input, config, provider, edit, cancelled, internal, auth, not_found, too_large"),
      message: z.string(),
      suggestion: z.string(),
      field: z.string().optional().describe("the offending field's path (400)"),
    }),
  })
  .meta({ id: "Error" });

export const workerRequest = z
  .object({
    prompt: z.string().min(1).describe("the ticket prompt"),
    model: z.string().min(1).optional().describe("override the drafter's model"),
    format: z.enum(workerFormats).optional().describe("artifact format (default code)"),
  })
  .strict()
  .meta({ id: "WorkerRequest" });

export const workerResponse = z
  .object({
    ok: z.boolean(),
    output: z.string().describe("the artifact only"),
    error: z.string().optional(),
    model: z.string(),
    timing: z.object({
      total_ms: z.number(),
      check_ms: z.number(),
      warm_ms: z.number().optional(),
      generate_ms: z.number(),
      attempts: z.number(),
    }),
  })
  .meta({ id: "WorkerResponse" });

export const taskRequest = z
  .object({
    task: z.string().min(1).describe("the task, as for `hierocode run`"),
    repo: z.string().min(1).describe("absolute path of a git repository on the service's machine"),
    verify: z.boolean().optional().describe("run the project's tests after the units"),
    idempotency_key: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("the same key twice returns the same job"),
    priority: z.number().int().min(-100).max(100).optional().describe("higher runs first (default 0)"),
  })
  .strict()
  .meta({ id: "TaskRequest" });

export const taskCreated = z
  .object({ id: z.string(), state: z.string(), existing: z.boolean() })
  .meta({ id: "TaskCreated" });

export const taskView = z
  .object({
    id: z.string(),
    state: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
    attempts: z.number(),
    progress: z
      .object({
        message: z.string(),
        units_done: z.number(),
        units_total: z.number(),
        updated_at: z.string(),
      })
      .nullable(),
    result: z
      .object({
        run_id: z.string(),
        summary: z.string(),
        diffs: z.array(z.object({ file: z.string(), diff: z.string() })),
        units: z.array(
          z.object({ id: z.string(), goal: z.string(), status: z.string(), reason: z.string().optional() }),
        ),
        usage: z.record(
          z.string(),
          z.object({
            calls: z.number(),
            input_tokens: z.number(),
            output_tokens: z.number(),
            cost_usd: z.number().nullable(),
          }),
        ),
      })
      .optional(),
    error: z.object({ type: z.string(), message: z.string(), suggestion: z.string() }).optional(),
    created_at: z.string(),
    finished_at: z.string().optional(),
  })
  .meta({ id: "TaskView" });

export const health = z
  .object({
    ok: z.boolean(),
    version: z.string(),
    queue: z.enum(["sqlite", "postgres"]),
    workers: z.number(),
    running: z.number(),
  })
  .meta({ id: "Health" });
