/**
 * Dependency-graph dispatch with a worker limit. A unit starts when every unit it depends on was
 * accepted and every earlier unit (in dependency order) that touches one of its files has finished,
 * so same-file units run in order and each sees the edits accepted before it. Units whose
 * dependency failed are skipped, not run.
 */
import { topologicalOrder } from "./plan-validation.js";

export interface GraphNode {
  id: string;
  depends_on: string[];
  files: string[];
}

export type NodeOutcome = "accepted" | "failed" | "skipped";

export interface GraphRunOptions<T extends GraphNode> {
  nodes: T[];
  concurrency: number;
  run(node: T): Promise<"accepted" | "failed">;
  /** Called for nodes that never run because a dependency failed. */
  onSkip?(node: T, reason: string): void;
  /** Nodes already finished (resume); they are not run again. */
  finished?: ReadonlyMap<string, NodeOutcome>;
  signal?: AbortSignal;
  /**
   * Per-lane limits on top of `concurrency`: a node runs only while fewer than
   * `lanes.limits[lanes.of(node)]` nodes of its lane run (e.g. units drafted by a local model vs a
   * paid API). A waiting node does not hold up later ready nodes of another lane.
   */
  lanes?: { of(node: T): string; limits: Readonly<Record<string, number>> };
}

export async function runGraph<T extends GraphNode>(
  options: GraphRunOptions<T>,
): Promise<Map<string, NodeOutcome>> {
  const { order } = topologicalOrder(options.nodes);
  const byId = new Map(options.nodes.map((node) => [node.id, node]));
  const rank = new Map(order.map((id, index) => [id, index]));
  const outcomes = new Map<string, NodeOutcome>(options.finished ?? []);
  // Earlier nodes (by rank) sharing a file: they must finish first.
  const fileBlockers = new Map<string, string[]>();
  for (const id of order) {
    const node = byId.get(id);
    if (!node) continue;
    const blockers = new Set<string>();
    for (const other of order.slice(0, rank.get(id))) {
      const otherNode = byId.get(other);
      if (otherNode?.files.some((file) => node.files.includes(file))) blockers.add(other);
    }
    fileBlockers.set(id, [...blockers]);
  }
  const pending = order.filter((id) => !outcomes.has(id));
  const running = new Map<string, Promise<void>>();
  const limit = Math.max(1, options.concurrency);
  const laneRunning = new Map<string, number>();
  const laneOf = (node: T) => options.lanes?.of(node);
  const laneFull = (node: T) => {
    const lane = laneOf(node);
    if (lane === undefined || !options.lanes) return false;
    const laneLimit = Math.max(1, options.lanes.limits[lane] ?? limit);
    return (laneRunning.get(lane) ?? 0) >= laneLimit;
  };
  let firstError: unknown;

  const ready = (id: string): "ready" | "wait" | "skip" => {
    const node = byId.get(id);
    if (!node) return "skip";
    for (const dependency of node.depends_on) {
      const outcome = outcomes.get(dependency);
      if (outcome === undefined) return "wait";
      if (outcome !== "accepted") return "skip";
    }
    for (const blocker of fileBlockers.get(id) ?? []) if (!outcomes.has(blocker)) return "wait";
    return "ready";
  };

  while (pending.length > 0 || running.size > 0) {
    if (options.signal?.aborted || firstError !== undefined) break;
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (let index = 0; index < pending.length && running.size < limit; index += 1) {
        const id = pending[index] as string;
        const state = ready(id);
        if (state === "wait") continue;
        const node = byId.get(id) as T;
        if (state === "ready" && laneFull(node)) continue;
        pending.splice(index, 1);
        index -= 1;
        progressed = true;
        if (state === "skip") {
          outcomes.set(id, "skipped");
          options.onSkip?.(node, "a unit it depends on was not accepted");
          continue;
        }
        const lane = laneOf(node);
        if (lane !== undefined) laneRunning.set(lane, (laneRunning.get(lane) ?? 0) + 1);
        const task = options
          .run(node)
          .then(
            (outcome) => {
              outcomes.set(id, outcome);
            },
            (error: unknown) => {
              outcomes.set(id, "failed");
              firstError ??= error;
            },
          )
          .finally(() => {
            running.delete(id);
            if (lane !== undefined) laneRunning.set(lane, (laneRunning.get(lane) ?? 1) - 1);
          });
        running.set(id, task);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  await Promise.allSettled(running.values());
  if (firstError !== undefined) throw firstError;
  return outcomes;
}
