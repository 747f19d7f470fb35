/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` package (installed by .ci/run),
 * a fresh cluster in a temp folder (as the `postgres` user when the tests run as root, since
 * initdb refuses root), on a free port, trust auth on 127.0.0.1 only. When no server can be
 * started, `unavailable` says why: the tests fail in CI (CI=true, or HIEROCODE_REQUIRE_POSTGRES=1 as .ci/run sets) and skip locally.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PostgresServer {
  url: string;
  stop(): void;
}

function binDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => existsSync(join(root, name, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<PostgresServer | { unavailable: string }> {
  const bin = binDir();
  if (!bin) return { unavailable: "PostgreSQL is not installed (apt-get install postgresql)" };
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // The test run's temp folder is root's (0700): let the postgres user pass through it.
    const mode = statSync(tmpdir()).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(tmpdir(), mode | 0o001);
  }
  const dir = mkdtempSync(join(tmpdir(), "haco-pg-"));
  const data = join(dir, "data");
  const run = (program: string, args: string[]) => {
    const command = asRoot
      ? ["runuser", "-u", "postgres", "--", join(bin, program), ...args]
      : [join(bin, program), ...args];
    return spawnSync(command[0] as string, command.slice(1), { encoding: "utf8", timeout: 60_000 });
  };
  if (asRoot) {
    const owner = spawnSync("chown", ["postgres:postgres", dir]);
    if (owner.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      return { unavailable: "running as root and there is no `postgres` user to run initdb as" };
    }
    chmodSync(dir, 0o700);
  }
  const init = run("initdb", ["-D", data, "-A", "trust", "-U", "hierocode", "-E", "UTF8", "--no-sync"]);
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return {
      unavailable: `initdb failed: ${(init.stderr || init.stdout || String(init.error)).trim().split("\n")[0]}`,
    };
  }
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const start = run("pg_ctl", [
    "-D",
    data,
    "-o",
    options,
    "-l",
    join(dir, "server.log"),
    "-w",
    "-t",
    "30",
    "start",
  ]);
  if (start.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { unavailable: `pg_ctl start failed: ${(start.stderr || start.stdout).trim().split("\n")[0]}` };
  }
  return {
    url: `postgres://hierocode@127.0.0.1:${port}/postgres`,
    stop() {
      run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** In CI a missing server is a failure; locally the tests skip with this message. */
export function requirePostgresInCi(
  result: PostgresServer | { unavailable: string },
): PostgresServer | undefined {
  if ("url" in result) return result;
  if (process.env.CI === "true" || process.env.CI === "1" || process.env.HIEROCODE_REQUIRE_POSTGRES === "1")
    throw new Error(`PostgreSQL is required in CI: ${result.unavailable}`);
  console.warn(`skipping the PostgreSQL tests: ${result.unavailable}`);
  return undefined;
}
