/** Worker thread body: parses batches of files sent by the pool and posts the outcomes back. */
import { parentPort } from "node:worker_threads";
import { type ParseJob, type ParseOutcome, parseFile } from "./parse-file.js";

const port = parentPort;
if (port) {
  port.on("message", async (batch: ParseJob[]) => {
    const outcomes: ParseOutcome[] = [];
    for (const job of batch) {
      try {
        outcomes.push(await parseFile(job));
      } catch {
        outcomes.push({ path: job.path, ok: false, reason: "unreadable" });
      }
    }
    port.postMessage(outcomes);
  });
}
