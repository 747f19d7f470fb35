/**
 * The worker thread behind `prepareTokenizer` (real-tokenizers.ts): builds one vocabulary, then
 * answers each posted text with `{ tokens }` (or `{ error }`) and wakes the waiting thread
 * through the shared flag.
 */
import { enableCompileCache } from "node:module";
import { type MessagePort, workerData } from "node:worker_threads";
import { loaders, type TokenizerId } from "./real-tokenizers.js";

// As in bin.ts: the vocabulary's module (tens of MB of JavaScript) is compiled once, not per run.
enableCompileCache?.();

const { id, port, flag } = workerData as { id: TokenizerId; port: MessagePort; flag: Int32Array };

let encode: ((text: string) => number[]) | undefined;
let failure: string | undefined;
try {
  encode = loaders[id]();
} catch (error) {
  failure = error instanceof Error ? error.message : String(error);
}

port.on("message", (text: string) => {
  let reply: { tokens?: number; error?: string };
  try {
    reply = encode ? { tokens: encode(text).length } : { error: failure ?? "no tokenizer" };
  } catch (error) {
    reply = { error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
