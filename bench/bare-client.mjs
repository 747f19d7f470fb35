// The reference of bench:startup and bench:pipeline: a bare HTTP client (Node's fetch, nothing
// else loaded) replaying the requests the CLI made, with the same dependency structure:
//
//   node bench/bare-client.mjs replay.json
//
// replay.json is `{ "phases": [{ "concurrency": N, "chains": [[request, …], …] }, …] }`: phases run
// one after another; within a phase, up to N chains run at once, each chain's requests in order.
// A request is `{ method, url, headers, body }` (see bench/fakes-process.ts). Every response body is
// read to the end. Exit 0, or 1 with a line on stderr when a response is not 2xx.
import { readFileSync } from "node:fs";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));

async function send(request) {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.method === "GET" || request.method === "HEAD" ? {} : { body: request.body }),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${request.method} ${request.url}: HTTP ${response.status}`);
}

try {
  for (const phase of plan.phases) {
    const queue = [...phase.chains];
    const lane = async () => {
      for (let chain = queue.shift(); chain; chain = queue.shift())
        for (const request of chain) await send(request);
    };
    await Promise.all(Array.from({ length: Math.max(1, phase.concurrency) }, lane));
  }
} catch (error) {
  process.stderr.write(`bare client: ${error.message}\n`);
  process.exit(1);
}
