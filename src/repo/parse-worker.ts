/**
 * Worker thread body: parses batches of files sent by the pool and posts the outcomes back in
 * their wire form (strings in the index store's encoding). The tree-sitter runtime starts
 * compiling as soon as the thread boots, while the pool is still walking the repository.
 */
import { parentPort } from "node:worker_threads";
import { initParser } from "./grammars.js";
import { type ParseJob, parseFile, type WireOutcome } from "./parse-file.js";
import { encodeSymbols } from "./symbol-codec.js";

const port = parentPort;
if (port) {
  // The pool sends more work once the runtime is up.
  void initParser().then(() => port.postMessage("ready"));
  port.on("message", async (batch: ParseJob[]) => {
    const outcomes: WireOutcome[] = [];
    for (const job of batch) {
      try {
        const outcome = await parseFile(job);
        if (outcome.ok) {
          const { extraction } = outcome;
          outcomes.push([
            job.path,
            outcome.sha256,
            extraction.lines,
            encodeSymbols(job.path, extraction.symbols),
            extraction.references.join(" "),
            "ok",
          ]);
        } else outcomes.push([job.path, outcome.sha256, 0, "", "", outcome.status]);
      } catch {
        outcomes.push([job.path, null, 0, "", "", "unreadable"]);
      }
    }
    port.postMessage(outcomes);
  });
}
