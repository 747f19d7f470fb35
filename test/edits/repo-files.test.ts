import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BinaryFileError,
  readRepoFile,
  resolveRepoPath,
  UnsafePathError,
  writeChangesAtomically,
} from "../../src/edits/index.js";

let repo = "";
let outside = "";

beforeEach(() => {
  repo = realpathSync(mkdtempSync(join(tmpdir(), "hierocode-repo-")));
  outside = realpathSync(mkdtempSync(join(tmpdir(), "hierocode-outside-")));
  mkdirSync(join(repo, ".git"));
  mkdirSync(join(repo, "src"));
  writeFileSync(join(repo, "src", "a.txt"), "a\n");
  writeFileSync(join(outside, "secret.txt"), "secret\n");
  // the write journal lives in the state folder
  process.env.HIEROCODE_STATE_DIR = join(outside, "state");
});

afterEach(() => {
  delete process.env.HIEROCODE_STATE_DIR;
  rmSync(repo, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe("resolveRepoPath", () => {
  it.each([
    ["../x", /leaves the repository/],
    ["src/../../x", /leaves the repository/],
    ["/etc/passwd", /absolute/],
    ["C:\\Windows\\x", /absolute/],
    ["~/x", /absolute/],
    [".git/config", /\.git/],
    ["sub/.GIT/hooks/x", /\.git/],
    ["", /empty/],
  ])("refuses %s", (path, message) => {
    expect(() => resolveRepoPath(repo, path)).toThrow(UnsafePathError);
    expect(() => resolveRepoPath(repo, path)).toThrow(message);
  });

  it("accepts nested new paths inside the repository", () => {
    expect(resolveRepoPath(repo, "new/deep/file.ts")).toBe(join(repo, "new", "deep", "file.ts"));
  });

  it("refuses a symlinked folder that points outside, for reading and for new files", () => {
    symlinkSync(outside, join(repo, "link"));
    expect(() => readRepoFile(repo, "link/secret.txt")).toThrow(/outside the repository/);
    expect(() => resolveRepoPath(repo, "link/new.txt")).toThrow(/outside the repository/);
  });

  it("refuses a symlinked file that points outside and one that points into .git", () => {
    symlinkSync(join(outside, "secret.txt"), join(repo, "src", "leak.txt"));
    writeFileSync(join(repo, ".git", "config"), "[core]\n");
    symlinkSync(join(repo, ".git", "config"), join(repo, "src", "config.txt"));
    expect(() => resolveRepoPath(repo, "src/leak.txt")).toThrow(/outside the repository/);
    expect(() => resolveRepoPath(repo, "src/config.txt")).toThrow(/\.git/);
  });

  it("follows a symlink that stays inside the repository", () => {
    symlinkSync(join(repo, "src"), join(repo, "alias"));
    expect(readRepoFile(repo, "alias/a.txt")).toBe("a\n");
  });
});

describe("readRepoFile", () => {
  it("returns null for a missing file and keeps a BOM", () => {
    expect(readRepoFile(repo, "src/missing.txt")).toBeNull();
    writeFileSync(join(repo, "bom.txt"), "\uFEFFx\r\n");
    expect(readRepoFile(repo, "bom.txt")).toBe("\uFEFFx\r\n");
  });

  it("refuses binary and non-UTF-8 files", () => {
    writeFileSync(join(repo, "img.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    writeFileSync(join(repo, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    expect(() => readRepoFile(repo, "img.png")).toThrow(BinaryFileError);
    expect(() => readRepoFile(repo, "latin1.txt")).toThrow(BinaryFileError);
  });
});

function listing(): string[] {
  return readdirSync(repo, { recursive: true, encoding: "utf8" })
    .filter((entry) => !entry.startsWith(".git"))
    .sort();
}

describe("writeChangesAtomically", () => {
  it("writes new, modified and deleted files", () => {
    writeFileSync(join(repo, "gone.txt"), "bye\n");
    writeChangesAtomically(repo, [
      { file: "src/a.txt", before: "a\n", after: "A\n" },
      { file: "new/dir/b.txt", before: null, after: "b\n" },
      { file: "gone.txt", before: "bye\n", after: null },
    ]);
    expect(readFileSync(join(repo, "src", "a.txt"), "utf8")).toBe("A\n");
    expect(readFileSync(join(repo, "new", "dir", "b.txt"), "utf8")).toBe("b\n");
    expect(existsSync(join(repo, "gone.txt"))).toBe(false);
    expect(listing().filter((entry) => entry.includes(".tmp"))).toEqual([]);
  });

  it("writes nothing when a later file cannot be prepared (its folder is a file)", () => {
    writeFileSync(join(repo, "blocker"), "I am a file\n");
    const before = listing();
    expect(() =>
      writeChangesAtomically(repo, [
        { file: "src/a.txt", before: "a\n", after: "A\n" },
        { file: "made/up/x.txt", before: null, after: "x\n" },
        { file: "blocker/y.txt", before: null, after: "y\n" },
      ]),
    ).toThrow(/no file was changed/);
    expect(readFileSync(join(repo, "src", "a.txt"), "utf8")).toBe("a\n");
    expect(listing()).toEqual(before);
  });

  it("puts every original back when a rename fails half-way", () => {
    writeFileSync(join(repo, "b.txt"), "b\n");
    const before = listing();
    let renames = 0;
    const failing = {
      rename(from: string, to: string) {
        renames++;
        if (renames === 2) throw new Error("disk full");
        renameSync(from, to);
      },
    };
    expect(() =>
      writeChangesAtomically(
        repo,
        [
          { file: "src/a.txt", before: "a\n", after: "A\n" },
          { file: "b.txt", before: "b\n", after: "B\n" },
        ],
        failing,
      ),
    ).toThrow(/disk full/);
    expect(renames).toBe(2);
    expect(readFileSync(join(repo, "src", "a.txt"), "utf8")).toBe("a\n");
    expect(readFileSync(join(repo, "b.txt"), "utf8")).toBe("b\n");
    expect(listing()).toEqual(before);
  });

  it("refuses to overwrite a file that changed since the edits were computed", () => {
    expect(() =>
      writeChangesAtomically(repo, [{ file: "src/a.txt", before: "old\n", after: "new\n" }]),
    ).toThrow(/changed on disk/);
    expect(readFileSync(join(repo, "src", "a.txt"), "utf8")).toBe("a\n");
  });
});
