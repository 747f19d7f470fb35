/**
 * Several machines sharing a PostgreSQL queue: one `hierocode serve --workers 0` takes the
 * requests, two `hierocode serve --worker-only` processes run the jobs. Real PostgreSQL server.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { gitIn, makeSandbox, roleConfig, type Sandbox } from "../pipeline/support/e2e.js";
import {
  acceptVerdict,
  type RoleFakes,
  removeSandbox,
  scriptOneUnitRun,
  startRoleFakes,
} from "../pipeline/support/role-fakes.js";
import { type PostgresServer, requirePostgresInCi, startPostgres } from "./postgres-server.js";
import { type ServeProcess, spawnServe, waitForTask, withRetries } from "./support.js";

let postgres: PostgresServer | undefined;
let fakes: RoleFakes | undefined;
let sandbox: Sandbox;
const processes: ServeProcess[] = [];

beforeAll(async () => {
  postgres = requirePostgresInCi(await startPostgres());
  fakes = await startRoleFakes();
}, 90_000);

afterAll(async () => {
  for (const serve of processes.splice(0)) await serve.stop();
  await fakes?.close();
  postgres?.stop();
  removeSandbox(sandbox);
});

describe("PostgreSQL queue shared by worker-only processes", { timeout: 120_000 }, () => {
  it("two --worker-only processes share the jobs one front end queued", async (context) => {
    if (!postgres || !fakes) return context.skip();
    sandbox = makeSandbox({});
    writeFileSync(
      join(sandbox.home, ".hierocode.yaml"),
      stringify({
        ...withRetries(roleConfig(fakes.urls)),
        service: { queue: postgres.url, lease_seconds: 10, workers: 1 },
      }),
    );
    scriptOneUnitRun(fakes, 700);
    fakes.openai.script.setDefault(acceptVerdict);

    const front = await spawnServe(sandbox, ["--port", "0", "--workers", "0"]);
    processes.push(front);
    expect(front.stderr()).toMatch(/queue: postgres, 0 worker/);
    const workers = await Promise.all(
      [0, 1].map(() => spawnServe(sandbox, ["--worker-only"], {}, /(worker only \(queue: postgres.*\))/)),
    );
    processes.push(...workers);
    const health = (await (await fetch(`${front.url}/v1/health`)).json()) as { queue: string };
    expect(health.queue).toBe("postgres");

    const ids: string[] = [];
    for (let index = 0; index < 6; index++) {
      const response = await fetch(`${front.url}/v1/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ task: `simplify double (${index})`, repo: sandbox.repo }),
      });
      expect(response.status).toBe(202);
      ids.push(((await response.json()) as { id: string }).id);
    }
    for (const id of ids) {
      const view = (await waitForTask(front.url, id, {}, 90_000)) as {
        state: string;
        result: { diffs: Array<{ file: string; diff: string }> };
      };
      expect(
        view.state,
        `${JSON.stringify(view)}\n${workers.map((worker) => worker.stderr()).join("\n")}`,
      ).toBe("succeeded");
      expect(gitIn(sandbox, ["apply", "--check", "-"], view.result.diffs[0]?.diff).status).toBe(0);
    }
    const started = workers.map((worker) => (worker.stderr().match(/job \S+: started/g) ?? []).length);
    expect(started[0], workers.map((w) => w.stderr()).join("\n")).toBeGreaterThan(0);
    expect(started[1]).toBeGreaterThan(0);
    expect((started[0] ?? 0) + (started[1] ?? 0)).toBe(6); // every job ran once
    expect(front.stderr()).not.toMatch(/job \S+: started/);
  });
});
