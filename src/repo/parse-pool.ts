/**
 * Parses files on the main thread and on worker threads at once. Workers are started early (the
 * indexer starts them before walking a repository it has never indexed), each loads its own
 * tree-sitter runtime, and both sides pull from one queue ordered by size: workers from the
 * large end, the main thread from the small end, meeting in the middle, so no core idles while
 * another finishes a huge file. Workers get batches of similar weight, a few in
 * flight so they never wait for the main thread to come back to the event loop. A worker that
 * cannot start or dies hands its batches back to the queue, and the main thread parses them:
 * running from TypeScript sources without a loader simply means parsing in-process.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type ParseJob, type ParseOutcome, parseFile, type WireOutcome } from "./parse-file.js";

const batchBytes = 192 * 1024;
const minBatchBytes = 24 * 1024;
const batchFiles = 48;
const batchesInFlight = 3;
/** Below this much code in a language, only the main thread loads its grammar. */
const sharedLanguageBytes = 512 * 1024;
/** How long the main thread parses before letting worker messages in. */
const yieldEveryMs = 8;

function workerFile(): URL | null {
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const url = new URL(`./parse-worker${extension}`, import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
}

export interface PoolResult {
  /** Parsed here, as objects. */
  local: ParseOutcome[];
  /** Parsed by workers, in wire form. */
  remote: WireOutcome[];
  /** Workers that parsed at least one batch. */
  workersUsed: number;
}

interface Slot {
  worker: Worker;
  inFlight: ParseJob[][];
  alive: boolean;
  used: boolean;
  /** Booted: until then one batch waits for it, the rest stays for whoever is free first. */
  ready: boolean;
}

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ParsePool {
  private readonly slots: Slot[] = [];
  private queue: ParseJob[] = [];
  /** Workers take from the front (largest first), the main thread from the back (smallest). */
  private next = 0;
  private end = 0;
  private remainingBytes = 0;
  private readonly remote: WireOutcome[] = [];
  private wake: (() => void) | null = null;

  /** Starts `count` workers now; they boot while the caller walks the repository. */
  constructor(count: number) {
    const file = workerFile();
    if (!file) return;
    for (let index = 0; index < count; index++) {
      let worker: Worker;
      try {
        worker = new Worker(file);
      } catch {
        continue;
      }
      const slot: Slot = { worker, inFlight: [], alive: true, used: false, ready: false };
      worker.on("message", (outcomes: WireOutcome[] | "ready") => {
        if (outcomes === "ready") {
          slot.ready = true;
          this.feed(slot);
          return;
        }
        slot.inFlight.shift();
        slot.used = true;
        for (const outcome of outcomes) this.remote.push(outcome);
        this.feed(slot);
        this.notify();
      });
      const fail = () => {
        if (!slot.alive) return;
        slot.alive = false;
        // Its unfinished batches go back to the queue for the main thread (or another worker).
        for (const batch of slot.inFlight) {
          this.queue.splice(this.end, 0, ...batch);
          this.end += batch.length;
          for (const job of batch) this.remainingBytes += job.size ?? 0;
        }
        slot.inFlight = [];
        this.notify();
      };
      worker.on("error", fail);
      worker.on("exit", fail);
      this.slots.push(slot);
    }
  }

  get size(): number {
    return this.slots.filter((slot) => slot.alive).length;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private take(): ParseJob | undefined {
    // Small files keep this thread coming back to the event loop, so workers are fed promptly.
    if (this.next >= this.end) return undefined;
    const job = this.queue[--this.end]!;
    this.remainingBytes -= job.size ?? 0;
    return job;
  }

  private feed(slot: Slot): void {
    const limit = slot.ready ? batchesInFlight : 1;
    while (slot.alive && slot.inFlight.length < limit && this.next < this.end) {
      // Smaller batches towards the end, so nobody waits long for the last one.
      const target = Math.max(minBatchBytes, Math.min(batchBytes, this.remainingBytes / 8));
      const batch: ParseJob[] = [];
      let bytes = 0;
      while (this.next < this.end && batch.length < batchFiles && bytes < target) {
        const job = this.queue[this.next++]!;
        batch.push(job);
        bytes += job.size ?? 0;
      }
      this.remainingBytes -= bytes;
      slot.inFlight.push(batch);
      slot.worker.postMessage(batch);
    }
  }

  /** `shareAll`: every language goes to the workers too (workers were asked for explicitly). */
  async run(jobs: ParseJob[], shareAll = false): Promise<PoolResult> {
    // Loading a grammar and compiling its tags query costs 5–250 ms per thread (C++ the most):
    // languages with little code are parsed on this thread only, while the workers boot.
    const bytes = new Map<string, number>();
    for (const job of jobs) bytes.set(job.language, (bytes.get(job.language) ?? 0) + (job.size ?? 0));
    const sorted = [...jobs].sort((a, b) => (b.size ?? 0) - (a.size ?? 0));
    const shared = (job: ParseJob) => shareAll || (bytes.get(job.language) ?? 0) >= sharedLanguageBytes;
    const mineOnly = sorted.filter((job) => !shared(job));
    this.queue = sorted.filter(shared);
    this.next = 0;
    this.end = this.queue.length;
    this.remainingBytes = this.queue.reduce((sum, job) => sum + (job.size ?? 0), 0);
    for (const slot of this.slots) this.feed(slot);
    const local: ParseOutcome[] = [];
    let lastYield = performance.now();
    let mine = 0;
    for (;;) {
      const job = mine < mineOnly.length ? mineOnly[mine++] : this.take();
      if (job) {
        local.push(await parseFile(job));
        if (performance.now() - lastYield > yieldEveryMs) {
          await yieldToEvents();
          lastYield = performance.now();
        }
        continue;
      }
      if (!this.slots.some((slot) => slot.alive && slot.inFlight.length > 0)) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    return { local, remote: this.remote, workersUsed: this.slots.filter((slot) => slot.used).length };
  }

  async close(): Promise<void> {
    for (const slot of this.slots) slot.alive = false;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
