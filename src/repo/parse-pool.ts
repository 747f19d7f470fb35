/**
 * Parses files on worker threads. Each worker loads its own tree-sitter runtime and grammars,
 * then pulls batches until the queue is empty, so a few huge files do not stall the others.
 * Returns null when workers cannot start (e.g. running from TypeScript sources without a
 * loader), and the caller parses in-process instead.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ParseJob, ParseOutcome } from "./parse-file.js";

const batchSize = 8;

function workerFile(): URL | null {
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const url = new URL(`./parse-worker${extension}`, import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
}

export async function parseInWorkers(jobs: ParseJob[], count: number): Promise<ParseOutcome[] | null> {
  const file = workerFile();
  if (!file) return null;
  const queue = [...jobs];
  const outcomes: ParseOutcome[] = [];
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: Math.min(count, jobs.length) }, () => {
        const worker = new Worker(file);
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          const next = () => {
            const batch = queue.splice(0, batchSize);
            if (batch.length === 0) resolve();
            else worker.postMessage(batch);
          };
          worker.on("message", (results: ParseOutcome[]) => {
            outcomes.push(...results);
            next();
          });
          worker.on("error", reject);
          worker.on("exit", (code) => {
            if (code !== 0) reject(new Error(`parse worker exited with code ${code}`));
          });
          next();
        });
      }),
    );
  } catch {
    return null;
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return outcomes;
}
