/**
 * The record/replay flags shared by run, plan, draft, review and worker: `--record FILE`,
 * `--record-redact`, `--replay FILE`, `--replay-mode strict|order`. They become a
 * {@link CassetteSession} in the provider runtime (src/providers/runtime.ts), so every provider
 * built for the command is recorded or replayed (src/providers/record.ts, replay.ts).
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { CassetteRecorder } from "../providers/record.js";
import { readCassette } from "../providers/replay.js";
import type { CassetteSession } from "../providers/runtime.js";
import type { CliContext } from "./context.js";

export interface CassetteFlags {
  record?: string;
  recordRedact?: boolean;
  replay?: string;
  replayMode?: string;
}

/** Adds the four record/replay options to `command`. */
export function cassetteOptions(command: Command): Command {
  return command
    .option("--record <file>", "write every model call to a JSONL cassette (secrets redacted)")
    .option("--record-redact", "with --record: leave the requests out of the cassette (digests only)")
    .option("--replay <file>", "answer every model call from a cassette: no network, no model")
    .option("--replay-mode <mode>", "strict (match by role, order and request digest) or order", "strict");
}

const sessions = new WeakMap<CassetteFlags, CassetteSession | undefined>();

/**
 * The session the flags ask for (one per command invocation: the recorder truncates its file once),
 * or undefined. Throws UsageError for --record with --replay, an unknown --replay-mode, or an
 * unreadable cassette.
 */
export function cassetteSession(context: CliContext, flags: CassetteFlags): CassetteSession | undefined {
  if (sessions.has(flags)) return sessions.get(flags);
  let session: CassetteSession | undefined;
  if (flags.record && flags.replay)
    throw new UsageError("--record and --replay exclude each other", {
      hint: "replay a cassette with --replay FILE, or record a new one with --record FILE",
    });
  if (flags.replayMode !== undefined && flags.replayMode !== "strict" && flags.replayMode !== "order")
    throw new UsageError(`unknown --replay-mode "${flags.replayMode}"`, { hint: "use strict or order" });
  if (flags.recordRedact && !flags.record) throw new UsageError("--record-redact needs --record FILE");
  if (flags.record) {
    session = {
      mode: "record",
      recorder: new CassetteRecorder(resolve(context.cwd, flags.record), {
        env: context.env,
        ...(flags.recordRedact ? { redactRequest: true } : {}),
      }),
    };
  } else if (flags.replay) {
    session = {
      mode: "replay",
      cassette: readCassette(resolve(context.cwd, flags.replay)),
      strict: flags.replayMode !== "order",
    };
  }
  sessions.set(flags, session);
  return session;
}
