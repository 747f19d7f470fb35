/**
 * HACO §10.4 queued tickets: a file dropped into `.haco/queue/` of a watched repository
 * (`service.watch`) becomes a job — `NAME.md` / `NAME.txt` hold the task text, `NAME.json` holds
 * `{task, verify?}`. When the job ends, `NAME.result.json` (the task view) and, on success,
 * `NAME.diff` are written beside it. The ticket's path and modification time form its
 * idempotency key, so a restart picks up the same job instead of queueing it twice.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { resolveRepoRoot } from "../mcp/paths.js";
import type { JobQueue } from "../queue/types.js";
import { terminalStates } from "../queue/types.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { taskViewOf } from "./http.js";

export interface TicketWatchOptions {
  repos: string[];
  queue: JobQueue;
  wake(): void;
  log(line: string): void;
  /** Scan interval (ms). */
  intervalMs?: number;
}

const ticketPattern = /^(?!.*\.result\.json$)(.+)\.(md|txt|json)$/;

function readTicket(file: string): { task: string; verify?: boolean } | undefined {
  const text = readFileSync(file, "utf8");
  if (file.endsWith(".json")) {
    const value = JSON.parse(text) as { task?: unknown; verify?: unknown };
    if (typeof value.task !== "string" || !value.task.trim()) return undefined;
    return { task: value.task, ...(value.verify === true ? { verify: true } : {}) };
  }
  return text.trim() ? { task: text.trim() } : undefined;
}

/** Scans the watched repositories every `intervalMs` (2 s); `scan()` runs one pass now. */
export function watchTickets(options: TicketWatchOptions): { stop(): void; scan(): Promise<void> } {
  const pending = new Map<string, { jobId: string; base: string; folder: string }>();
  let busy = false;
  const scan = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const configured of options.repos) {
        let repo: string;
        try {
          repo = resolveRepoRoot(configured, process.cwd());
        } catch (error) {
          options.log(`tickets: ${(error as Error).message}`);
          continue;
        }
        const folder = join(repo, ".haco", "queue");
        if (!existsSync(folder)) continue;
        for (const name of readdirSync(folder).sort()) {
          const match = ticketPattern.exec(name);
          const base = match?.[1];
          if (!base || existsSync(join(folder, `${base}.result.json`))) continue;
          const file = join(folder, name);
          const key = `ticket:${file}:${Math.floor(statSync(file).mtimeMs)}`;
          if (pending.has(key)) continue;
          let ticket: ReturnType<typeof readTicket>;
          try {
            ticket = readTicket(file);
          } catch (error) {
            options.log(`tickets: ${file}: ${(error as Error).message}`);
            continue;
          }
          if (!ticket) continue;
          const { job, existing } = await options.queue.submit({ repo, ...ticket }, { idempotencyKey: key });
          pending.set(key, { jobId: job.id, base, folder });
          if (!existing) options.log(`tickets: ${file} queued as ${job.id}`);
          options.wake();
        }
      }
      for (const [key, entry] of pending) {
        const job = await options.queue.get(entry.jobId);
        if (!job || !terminalStates.has(job.state)) continue;
        if (job.result) writeFileAtomic(join(entry.folder, `${entry.base}.diff`), job.result.diff);
        writeFileAtomic(
          join(entry.folder, `${entry.base}.result.json`),
          `${JSON.stringify(taskViewOf(job), null, 2)}\n`,
        );
        pending.delete(key);
        options.log(`tickets: ${entry.base} ${job.state}`);
      }
    } catch (error) {
      options.log(`tickets: ${(error as Error).message}`);
    } finally {
      busy = false;
    }
  };
  const timer =
    options.repos.length > 0 ? setInterval(() => void scan(), options.intervalMs ?? 2000) : undefined;
  if (timer) void scan();
  return {
    stop() {
      if (timer) clearInterval(timer);
    },
    scan,
  };
}
