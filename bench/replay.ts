/**
 * Shared by bench:startup and bench:pipeline: the requests the fake model servers recorded
 * (bench/fakes.ts, bench/fakes-process.ts) and their replay by a bare HTTP client with the
 * pipeline's structure — the reference every overhead figure is measured against.
 */
import type { ReplayRequest } from "./fakes-process.js";

export { type Fakes, startFakes } from "./fakes.js";
export type { ReplayRequest };

export interface Replay {
  phases: Array<{ concurrency: number; chains: ReplayRequest[][] }>;
}

/**
 * The structure a pipeline run gives its requests: everything before the first draft (probes, the
 * plan) one by one, then each unit's chain (draft → review, by the `Unit uN:` in the prompt),
 * `workers` chains at a time, then whatever came after, one by one.
 */
export function replayOf(requests: ReplayRequest[], workers: number): Replay {
  const unitOf = (request: ReplayRequest) => /Unit (u\d+):/.exec(request.body)?.[1];
  const first = requests.findIndex((request) => request.server === "ollama" && unitOf(request));
  const before = first < 0 ? requests : requests.slice(0, first);
  const chains = new Map<string, ReplayRequest[]>();
  const after: ReplayRequest[] = [];
  for (const request of first < 0 ? [] : requests.slice(first)) {
    const unit = unitOf(request);
    if (unit) chains.set(unit, [...(chains.get(unit) ?? []), request]);
    else after.push(request);
  }
  return {
    phases: [
      { concurrency: 1, chains: before.map((request) => [request]) },
      { concurrency: workers, chains: [...chains.values()] },
      { concurrency: 1, chains: after.map((request) => [request]) },
    ],
  };
}

/** Replays in this process with Node's fetch (what bench/bare-client.mjs does as a process). */
export async function replayInProcess(replay: Replay): Promise<void> {
  const send = async (request: ReplayRequest) => {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.method === "GET" || request.method === "HEAD" ? {} : { body: request.body }),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${request.method} ${request.url}: HTTP ${response.status}`);
  };
  for (const phase of replay.phases) {
    const queue = [...phase.chains];
    const lane = async () => {
      for (let chain = queue.shift(); chain; chain = queue.shift())
        for (const request of chain) await send(request);
    };
    await Promise.all(Array.from({ length: Math.max(1, phase.concurrency) }, lane));
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
