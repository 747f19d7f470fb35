/**
 * The configuration schema: the single source of truth for types, defaults, descriptions and
 * the generated JSON Schema (`schema/hierocode.schema.json`).
 */
import { z } from "zod";
import { defaultProtectedPaths } from "../edits/path-rules.js";

export const providerTypes = [
  "ollama",
  "anthropic",
  "openai_compatible",
  "lmstudio",
  "claude_code_cli",
  "codex_cli",
  "llama_cpp",
  "replay",
] as const;

export const authSchema = z
  .object({
    type: z
      .enum(["none", "bearer_env"])
      .default("none")
      .describe("none, or a bearer token read from env_var"),
    env_var: z.string().min(1).optional().describe("environment variable holding the API key/token"),
  })
  .describe("how to authenticate");

/**
 * An http:// or https:// URL. Other schemes (`file:`, `ftp:`, `javascript:`, `unix:`) are refused:
 * every provider speaks HTTP, and a file URL would let a config read local files.
 */
export const httpUrlSchema = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    } catch {
      return false;
    }
  },
  { message: "must be an http:// or https:// URL (e.g. http://localhost:11434)" },
);

export const providerSchema = z
  .object({
    type: z
      .enum(providerTypes, {
        error: (issue) =>
          issue.input === "transformers_local"
            ? "transformers_local is llama_cpp here: write type: llama_cpp with model_path: /path/to/model.gguf (or ollama_model: NAME), after hierocode local install"
            : undefined,
      })
      .describe("backend kind"),
    base_url: z
      .union([httpUrlSchema, z.array(httpUrlSchema).min(1)])
      .optional()
      .describe("server URL, or a list of hosts serving the same models (least-busy healthy host wins)"),
    auth: authSchema.default({ type: "none" }),
    binary: z.string().min(1).optional().describe("CLI providers: path or name of the executable"),
    timeout_seconds: z.number().positive().optional().describe("hard limit for one call"),
    max_retries: z.number().int().min(0).max(10).optional().describe("retries on 408/409/429/5xx/529"),
    keep_alive: z.string().optional().describe("ollama: keep the model loaded this long (e.g. 5m)"),
    num_ctx: z
      .number()
      .int()
      .min(512)
      .optional()
      .describe("ollama: pin the context (num_ctx) sent on every call to this provider's models"),
    anthropic_version: z.string().optional().describe("anthropic: API version header (default 2023-06-01)"),
    headers: z.record(z.string(), z.string()).optional().describe("extra HTTP headers"),
    cassette: z.string().min(1).optional().describe("replay: the cassette file (JSONL) to answer from"),
    strict: z.boolean().optional().describe("replay: also match each call by request digest (default true)"),
    model_path: z.string().min(1).optional().describe("llama_cpp: path of a GGUF model file"),
    ollama_model: z
      .string()
      .min(1)
      .optional()
      .describe("llama_cpp: use the GGUF blob Ollama pulled for this model (e.g. qwen2.5-coder:7b)"),
    context_size: z.number().int().min(64).optional().describe("llama_cpp: context size in tokens"),
    threads: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("llama_cpp: CPU threads (default: the machine's cores)"),
    gpu: z
      .union([z.boolean(), z.enum(["auto", "cpu", "cuda", "vulkan", "metal"])])
      .optional()
      .describe("llama_cpp: GPU backend (auto, cuda, vulkan, metal) or false/cpu for CPU only"),
    gpu_layers: z.number().int().min(0).optional().describe("llama_cpp: layers to offload to the GPU"),
  })
  .superRefine((value, context) => {
    if (value.auth.type === "bearer_env" && !value.auth.env_var) {
      context.addIssue({
        code: "custom",
        path: ["auth", "env_var"],
        message: "required when auth.type is bearer_env",
      });
    }
  });

export const roleBindingSchema = z.object({
  provider: z.string().min(1).describe("name of an entry under providers"),
  model: z.string().min(1).describe("model id as the provider knows it"),
  exploration: z
    .enum(["passive", "active"])
    .optional()
    .describe("CLI planners: active lets claude/codex use read-only tools while planning"),
  candidates: z
    .array(z.object({ provider: z.string().min(1), model: z.string().min(1) }))
    .optional()
    .describe("drafter: other models the router may pick per unit (router.mode matrix or learned)"),
});

/** The drafter router (README "Routing"): fixed = the role's own model for every unit. */
export const routerSchema = z.object({
  mode: z
    .enum(["fixed", "matrix", "learned"])
    .default("fixed")
    .describe("fixed: routing.drafter always; matrix: the complexity table; learned: matrix + outcomes"),
  seed: z.number().int().min(0).default(1).describe("seed of the learned router's sampling"),
  exploration: z
    .number()
    .min(0)
    .max(0.5)
    .default(0.05)
    .describe("learned: share of units spent trying a local candidate that may still be best"),
  weights: z
    .object({
      usd: z.number().min(0).default(1).describe("cost units per dollar"),
      seconds: z
        .number()
        .min(0)
        .default(0.0005)
        .describe("cost units per second of drafting (0.0005 = 1.80 per hour)"),
      messages: z.number().min(0).default(0.05).describe("cost units per subscription message"),
    })
    .default({ usd: 1, seconds: 0.0005, messages: 0.05 }),
  half_life_days: z
    .number()
    .positive()
    .default(30)
    .describe("outcomes lose half their weight after this many days (a new model version takes over)"),
});
export type RouterConfig = z.infer<typeof routerSchema>;

export const policySchema = z.object({
  max_revisions_per_unit: z.number().int().min(0).max(10).default(2),
  max_escalations_per_task: z.number().int().min(0).max(50).default(3),
  warn_before_escalation: z.boolean().default(true).describe("ask before the planner drafts a unit itself"),
  review_confidence_threshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.7)
    .describe("a reviewer verdict below this confidence is treated as escalate"),
  max_units_per_task: z.number().int().min(1).max(500).default(24),
  max_split_depth: z.number().int().min(0).max(5).default(2),
  max_edit_retries: z.number().int().min(0).max(5).default(1).describe("re-asks when an edit does not apply"),
  review_checkpoint: z
    .enum(["compact", "full"])
    .default("compact")
    .describe(
      "compact: the reviewer answers {pass, issues ≤ 3, confidence, escalate}; full: {action, feedback, issues, confidence, sub_units}",
    ),
  review_max_output_tokens: z
    .number()
    .int()
    .min(64)
    .max(8192)
    .optional()
    .describe("output cap of a review verdict (default 100 compact, 400 full)"),
  redirect_before_escalation: z
    .boolean()
    .default(true)
    .describe(
      "on escalation the planner first gives the drafter a short direction; it writes code only if that fails",
    ),
  redirect_max_output_tokens: z.number().int().min(16).max(1024).default(50),
  verify_command: z.string().optional().describe("command that proves a change works (e.g. npm test)"),
  verify_timeout_seconds: z.number().positive().default(600),
  max_verify_rounds: z.number().int().min(0).max(10).default(2),
  send_secret_files: z
    .boolean()
    .default(false)
    .describe("send .env and key files to a remote model (planner, reviewer, escalation); off: withheld"),
  protected_paths: z
    .array(z.string().min(1))
    .default([...defaultProtectedPaths])
    .describe(
      "gitignore patterns of files a model's edit may never write (default: .env*, CI and git hook files); .hierocode.yaml and .haco/ are always protected",
    ),
  auto_apply: z
    .boolean()
    .default(false)
    .describe("REPL: write a run's accepted files without asking (writes stay atomic)"),
});

export const parallelizationSchema = z.object({
  default_strategy: z.enum(["safe", "balanced", "aggressive"]).default("balanced"),
  max_local_workers: z.number().int().min(1).max(64).default(4),
  max_remote_workers: z.number().int().min(1).max(128).default(8),
});

/** `hierocode serve` and the task queue (README "Service"). */
export const serviceSchema = z.object({
  host: z.string().default("127.0.0.1").describe("address `serve` binds (loopback by default)"),
  port: z.number().int().min(0).max(65535).default(8765),
  token: z
    .string()
    .optional()
    .describe("bearer token required from clients (HIEROCODE_SERVICE_TOKEN wins); needed off loopback"),
  queue: z
    .string()
    .default("sqlite")
    .describe("sqlite (queue.db in the state folder) or a postgres://… URL shared by several machines"),
  workers: z.number().int().min(0).max(64).optional().describe("jobs at once (default: max_local_workers)"),
  lease_seconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(60)
    .describe("a dead worker's job is taken over after this"),
  max_attempts: z.number().int().min(1).max(20).default(3),
  watch: z
    .array(z.string())
    .default([])
    .describe("repositories whose .haco/queue/ ticket files are picked up"),
});

export const configSchema = z.object({
  default_provider: z.string().optional().describe("provider used when a role names none"),
  providers: z.record(z.string(), providerSchema).default({}),
  routing: z
    .object({
      planner: roleBindingSchema.optional(),
      drafter: roleBindingSchema.optional(),
      reviewer: roleBindingSchema.optional().describe("defaults to the planner's binding"),
    })
    .default({}),
  router: routerSchema.default(routerSchema.parse({})),
  policy: policySchema.default(policySchema.parse({})),
  parallelization: parallelizationSchema.default(parallelizationSchema.parse({})),
  tui: z
    .object({ interaction_mode: z.enum(["prompt", "immediate"]).default("prompt") })
    .default({ interaction_mode: "prompt" }),
  tasks: z.record(z.string(), z.string()).default({}).describe("named task aliases"),
  logs: z
    .object({
      location: z
        .enum(["repo", "state"])
        .default("repo")
        .describe("repo: .haco/logs in the repo; state: the state folder"),
    })
    .default({ location: "repo" }),
  pricing_file: z.string().optional().describe("path of a pricing.yaml overriding the built-in price table"),
  service: serviceSchema.default(serviceSchema.parse({})),
  memory: z
    .object({
      enabled: z
        .boolean()
        .default(true)
        .describe("give the planner relevant notes from `hierocode memory` (false: none for this project)"),
      max_tokens: z
        .number()
        .int()
        .min(0)
        .max(8000)
        .default(500)
        .describe("token budget for the memory block in the planner's prompt"),
      adaptive: z
        .boolean()
        .default(true)
        .describe("keep accepted, verified units as tasks for `eval run --suite adaptive` (false: none)"),
      embeddings: z
        .object({
          provider: z.string().min(1).describe("an ollama, lmstudio or openai_compatible provider"),
          model: z.string().min(1).describe("its embedding model, e.g. nomic-embed-text"),
          min_similarity: z
            .number()
            .min(-1)
            .max(1)
            .default(0.5)
            .describe("cosine similarity a note needs to be found through its embedding"),
        })
        .optional()
        .describe("retrieve memory by embeddings fused with full-text search (default: full-text only)"),
    })
    .default({ enabled: true, max_tokens: 500, adaptive: true }),
});

export type HierocodeConfig = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type RoleBinding = z.infer<typeof roleBindingSchema>;
export type PolicyConfig = z.infer<typeof policySchema>;

/** Keys of v0.1 files that are ignored with a warning. */
export const legacyKeys: ReadonlyArray<readonly string[]> = [
  ["default_model"],
  ["small_model"],
  ["routing", "draft_model"],
  ["routing", "review_model"],
];

export function defaultConfig(): HierocodeConfig {
  return configSchema.parse({});
}

/** JSON Schema for editors, generated from the zod schema. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
