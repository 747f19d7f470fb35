/**
 * The REPL's session: what one `hierocode` session remembers between commands (the last run and
 * its accepted changes, /apply pre-images for /undo, the /verify choice, the auto-apply choice)
 * and the shared CLI context. Heavy modules are imported on first use only.
 */

import type { CliContext } from "../cli/context.js";
import type { RunCliOptions } from "../cli/main.js";
import type { Output } from "../cli/output.js";
import type { ChangedFile } from "../pipeline/hooks.js";
import type { PipelineResult } from "../pipeline/pipeline.js";

export interface LastRun {
  runId: string;
  task: string;
  repoRoot: string;
  logFile: string;
  result: PipelineResult;
  /** The accepted changes not yet written by /apply. */
  pending: ChangedFile[];
}

/** What one /apply wrote: the content before and after per file (for /undo). */
export interface AppliedRecord {
  repoRoot: string;
  files: ChangedFile[];
  at: number;
}

export interface ReplIo {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  errors: NodeJS.WriteStream;
}

export class Session {
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  readonly io: ReplIo;
  readonly output: Output;
  readonly runCli: (options: RunCliOptions) => Promise<number>;
  readonly startedAt = Date.now();
  /** Entries typed this session, oldest first (/history). */
  readonly entries: string[] = [];
  lastRun: LastRun | undefined;
  lastTask: string | undefined;
  /** The run cancelled or crashed last (the default of /resume). */
  resumable: string | undefined;
  applied: AppliedRecord[] = [];
  /** undefined: policy/detected; false: off; a string: this command. */
  verify: string | false | undefined;
  autoApply = false;
  /** Aborts the command in progress (Ctrl-C). */
  abort: AbortController | undefined;
  private context_: CliContext | undefined;

  constructor(options: {
    env: Record<string, string | undefined>;
    cwd: string;
    io: ReplIo;
    output: Output;
    runCli: (options: RunCliOptions) => Promise<number>;
  }) {
    this.env = options.env;
    this.cwd = options.cwd;
    this.io = options.io;
    this.output = options.output;
    this.runCli = options.runCli;
  }

  /** The CLI context the one-shot commands get (created on first use: it loads the config code). */
  async context(): Promise<CliContext> {
    if (!this.context_) {
      const { createContext } = await import("../cli/context.js");
      const context = createContext(this.output, this.env, this.cwd);
      await context.prepare();
      this.context_ = context;
    }
    return this.context_;
  }

  /** Runs a one-shot command in-process (`argv` without "hierocode"); returns its exit code. */
  cli(argv: string[]): Promise<number> {
    return this.runCli({
      argv,
      env: this.env,
      cwd: this.cwd,
      stdout: this.io.output,
      stderr: this.io.errors,
    });
  }
}
