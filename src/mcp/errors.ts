/**
 * The one error shape every MCP tool and the service return:
 * `{type, message, suggestion}`. `type` is one of the names below; `suggestion` says what to do.
 */
import { AbortError, ConfigError, HierocodeError, isAbortLike, ProviderError } from "../errors.js";

export type ToolErrorType = "path" | "input" | "config" | "provider" | "edit" | "cancelled" | "internal";

export interface ToolErrorShape {
  type: ToolErrorType;
  message: string;
  suggestion: string;
}

/** A refusal raised by our own checks (paths, input) before any model is called. */
export class ToolError extends Error {
  readonly type: ToolErrorType;
  readonly suggestion: string;
  constructor(type: ToolErrorType, message: string, suggestion: string) {
    super(message);
    this.name = "ToolError";
    this.type = type;
    this.suggestion = suggestion;
  }
}

/** Maps any thrown value to the one error shape (never throws). */
export function toolErrorOf(error: unknown): ToolErrorShape {
  if (error instanceof ToolError)
    return { type: error.type, message: error.message, suggestion: error.suggestion };
  if (error instanceof AbortError || (isAbortLike(error) && !(error instanceof HierocodeError)))
    return {
      type: "cancelled",
      message: "the call was cancelled",
      suggestion: "call the tool again when needed",
    };
  if (error instanceof ConfigError)
    return {
      type: "config",
      message: error.message,
      suggestion: error.hint ?? "run `hierocode doctor` and fix ~/.hierocode.yaml",
    };
  if (error instanceof ProviderError)
    return {
      type: "provider",
      message: error.message,
      suggestion:
        error.hint ??
        `check that provider '${error.provider}' is running and reachable (\`hierocode doctor\`)`,
    };
  if (error instanceof HierocodeError)
    return {
      type: error.code === "usage" ? "input" : "internal",
      message: error.message,
      suggestion: error.hint ?? "check the arguments",
    };
  const message = error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error);
  return { type: "internal", message, suggestion: "run `hierocode doctor`; report the bug if it persists" };
}
