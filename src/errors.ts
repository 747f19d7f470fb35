/**
 * One error hierarchy for the whole tool. Every error has a stable string `code`, a one-line
 * message, an optional hint (what to do about it) and an exit code from the documented table.
 * Only the CLI shell turns these into output and process exit codes.
 */

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  config: 3,
  providerUnavailable: 4,
  auth: 5,
  modelNotFound: 6,
  providerCall: 7,
  badModelOutput: 8,
  editsFailed: 9,
  checksFailed: 10,
  verifyFailed: 11,
  unitsFailed: 12,
  aborted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface HierocodeErrorOptions {
  hint?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class HierocodeError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, exitCode: ExitCode, options: HierocodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export class UsageError extends HierocodeError {
  constructor(message: string, options?: HierocodeErrorOptions) {
    super("usage", message, ExitCode.usage, options);
  }
}

export class ConfigError extends HierocodeError {
  readonly problems: string[];
  constructor(message: string, problems: string[] = [], options?: HierocodeErrorOptions) {
    super("config", message, ExitCode.config, {
      ...options,
      details: { ...(options?.details ?? {}), problems },
    });
    this.problems = problems;
  }
}

export type ProviderErrorKind =
  | "unavailable" // cannot connect / binary missing
  | "auth" // not logged in, bad key
  | "model_not_found"
  | "rate_limit"
  | "overloaded"
  | "server" // 5xx
  | "bad_request" // 4xx other than the above
  | "timeout"
  | "truncated" // output cut by the token limit
  | "stream" // stream broke mid-way or in-band error
  | "crash"; // CLI exited abnormally

const kindToExit: Record<ProviderErrorKind, ExitCode> = {
  unavailable: ExitCode.providerUnavailable,
  auth: ExitCode.auth,
  model_not_found: ExitCode.modelNotFound,
  rate_limit: ExitCode.providerCall,
  overloaded: ExitCode.providerCall,
  server: ExitCode.providerCall,
  bad_request: ExitCode.providerCall,
  timeout: ExitCode.providerCall,
  truncated: ExitCode.providerCall,
  stream: ExitCode.providerCall,
  crash: ExitCode.providerCall,
};

export interface ProviderErrorOptions extends HierocodeErrorOptions {
  provider: string;
  status?: number;
  bodyExcerpt?: string;
  retryable?: boolean;
  retryAfterMs?: number;
  exitStatus?: number | null;
  stderrTail?: string;
}

/** A failed call to a model provider (HTTP or CLI). */
export class ProviderError extends HierocodeError {
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  readonly status: number | undefined;
  readonly bodyExcerpt: string | undefined;
  readonly isRetryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly exitStatus: number | null | undefined;
  readonly stderrTail: string | undefined;

  constructor(kind: ProviderErrorKind, message: string, options: ProviderErrorOptions) {
    super(`provider_${kind}`, message, kindToExit[kind], {
      ...options,
      details: {
        provider: options.provider,
        kind,
        ...(options.status !== undefined ? { status: options.status } : {}),
        ...(options.exitStatus !== undefined ? { exitStatus: options.exitStatus } : {}),
        ...(options.details ?? {}),
      },
    });
    this.kind = kind;
    this.provider = options.provider;
    this.status = options.status;
    this.bodyExcerpt = options.bodyExcerpt;
    this.isRetryable =
      options.retryable ?? (kind === "rate_limit" || kind === "overloaded" || kind === "server");
    this.retryAfterMs = options.retryAfterMs;
    this.exitStatus = options.exitStatus;
    this.stderrTail = options.stderrTail;
  }
}

/** The model answered, but not with what was asked for (bad JSON, unparseable edits, …). */
export class ModelOutputError extends HierocodeError {
  constructor(
    message: string,
    options: HierocodeErrorOptions & { expected?: string; received?: string } = {},
  ) {
    super("bad_model_output", message, ExitCode.badModelOutput, {
      ...options,
      details: {
        ...(options.expected ? { expected: options.expected } : {}),
        ...(options.received ? { received: options.received.slice(0, 500) } : {}),
        ...(options.details ?? {}),
      },
    });
  }
}

/**
 * A prompt that does not fit the context actually requested (with its output budget reserved),
 * refused before sending: never silently cut. Exit 2: the input is too large for the model.
 */
export class ContextOverflowError extends HierocodeError {
  constructor(message: string, options?: HierocodeErrorOptions) {
    super("context_overflow", message, ExitCode.usage, options);
  }
}

export class AbortError extends HierocodeError {
  constructor(message = "cancelled by the user", options?: HierocodeErrorOptions) {
    super("aborted", message, ExitCode.aborted, options);
  }
}

export function isAbortLike(error: unknown): boolean {
  if (error instanceof AbortError) return true;
  return (
    error instanceof Error &&
    (error.name === "AbortError" || (error as { code?: string }).code === "ABORT_ERR")
  );
}

/** Short, single-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0] ?? error.message;
  return String(error);
}
