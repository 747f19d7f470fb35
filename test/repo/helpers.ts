/** Temporary repositories for the repo tests: files from a record, a private cache folder. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface TempRepo {
  root: string;
  env: Record<string, string | undefined>;
  write(path: string, content: string | Uint8Array): void;
  cleanup(): void;
}

export function tempRepo(files: Record<string, string | Uint8Array> = {}): TempRepo {
  const base = mkdtempSync(join(tmpdir(), "hierocode-repo-"));
  const root = join(base, "repo");
  mkdirSync(join(root, ".git", "info"), { recursive: true });
  const env = { ...process.env, HIEROCODE_CACHE_DIR: join(base, "cache"), HOME: base };
  const write = (path: string, content: string | Uint8Array) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  for (const [path, content] of Object.entries(files)) write(path, content);
  return { root, env, write, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}
