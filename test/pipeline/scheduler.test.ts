import { describe, expect, it } from "vitest";
import { type GraphNode, runGraph } from "../../src/pipeline/scheduler.js";

function node(id: string, depends_on: string[] = [], files: string[] = [id]): GraphNode {
  return { id, depends_on, files };
}

/** Runs the graph where each node resolves when the test releases it; records start order. */
function harness(outcomes: Record<string, "accepted" | "failed"> = {}) {
  const started: string[] = [];
  const release = new Map<string, () => void>();
  let active = 0;
  let maxActive = 0;
  const run = async (graphNode: GraphNode) => {
    started.push(graphNode.id);
    active += 1;
    maxActive = Math.max(maxActive, active);
    await new Promise<void>((resolve) => release.set(graphNode.id, resolve));
    active -= 1;
    return outcomes[graphNode.id] ?? "accepted";
  };
  const finish = async (id: string) => {
    const resolve = release.get(id);
    if (!resolve) throw new Error(`${id} not started`);
    resolve();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { started, run, finish, maxActive: () => maxActive };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("runGraph", () => {
  it("runs independent nodes in parallel up to the limit", async () => {
    const h = harness();
    const done = runGraph({
      nodes: ["a", "b", "c", "d", "e"].map((id) => node(id)),
      concurrency: 2,
      run: h.run,
    });
    await tick();
    expect(h.started).toEqual(["a", "b"]);
    await h.finish("a");
    expect(h.started).toEqual(["a", "b", "c"]);
    for (const id of ["b", "c", "d", "e"]) await h.finish(id);
    const outcomes = await done;
    expect([...outcomes.values()].every((outcome) => outcome === "accepted")).toBe(true);
    expect(h.maxActive()).toBe(2);
  });

  it("keeps each lane to its own limit, and a full lane does not hold up another lane's nodes", async () => {
    const h = harness();
    const lane: Record<string, string> = {
      l1: "local",
      l2: "local",
      l3: "local",
      r1: "remote",
      r2: "remote",
    };
    const done = runGraph({
      nodes: ["l1", "l2", "l3", "r1", "r2"].map((id) => node(id)),
      concurrency: 5,
      lanes: { of: (graphNode) => lane[graphNode.id] ?? "local", limits: { local: 1, remote: 4 } },
      run: h.run,
    });
    await tick();
    // l2 and l3 wait for the local lane; the remote nodes behind them start at once.
    expect(h.started).toEqual(["l1", "r1", "r2"]);
    await h.finish("r1");
    expect(h.started).toEqual(["l1", "r1", "r2"]);
    await h.finish("l1");
    expect(h.started).toEqual(["l1", "r1", "r2", "l2"]);
    for (const id of ["r2", "l2", "l3"]) await h.finish(id);
    await done;
    expect(h.started).toEqual(["l1", "r1", "r2", "l2", "l3"]);
  });

  it("waits for dependencies and orders units that share a file", async () => {
    const h = harness();
    const done = runGraph({
      nodes: [
        node("a", [], ["x.ts"]),
        node("b", [], ["x.ts", "y.ts"]),
        node("c", ["a"], ["z.ts"]),
        node("d", [], ["w"]),
      ],
      concurrency: 4,
      run: h.run,
    });
    await tick();
    expect(h.started).toEqual(["a", "d"]);
    await h.finish("a");
    expect(h.started).toEqual(["a", "d", "b", "c"]);
    for (const id of ["b", "c", "d"]) await h.finish(id);
    await done;
  });

  it("skips dependents of failed units but still runs same-file successors", async () => {
    const h = harness({ a: "failed" });
    const skipped: string[] = [];
    const done = runGraph({
      nodes: [node("a", [], ["x"]), node("b", ["a"], ["y"]), node("c", ["b"], ["q"]), node("d", [], ["x"])],
      concurrency: 4,
      run: h.run,
      onSkip: (graphNode) => skipped.push(graphNode.id),
    });
    await tick();
    await h.finish("a");
    await h.finish("d");
    const outcomes = await done;
    expect(Object.fromEntries(outcomes)).toEqual({ a: "failed", b: "skipped", c: "skipped", d: "accepted" });
    expect(skipped).toEqual(["b", "c"]);
  });

  it("does not rerun finished nodes (resume)", async () => {
    const h = harness();
    const done = runGraph({
      nodes: [node("a"), node("b", ["a"])],
      concurrency: 2,
      run: h.run,
      finished: new Map([["a", "accepted"]]),
    });
    await tick();
    expect(h.started).toEqual(["b"]);
    await h.finish("b");
    expect(Object.fromEntries(await done)).toEqual({ a: "accepted", b: "accepted" });
  });

  it("stops starting work after an abort and rethrows the first error", async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const result = runGraph({
      nodes: [node("a"), node("b")],
      concurrency: 1,
      signal: controller.signal,
      run: async (graphNode) => {
        started.push(graphNode.id);
        controller.abort();
        throw new Error("boom");
      },
    });
    await expect(result).rejects.toThrow("boom");
    expect(started).toEqual(["a"]);
  });
});
