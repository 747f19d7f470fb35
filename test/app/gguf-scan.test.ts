/**
 * The wizard's search for GGUF files on disk (src/app/gguf-scan.ts): the folders of
 * node-llama-cpp, Hugging Face, LM Studio and Ollama (manifests → blobs); only files with the
 * GGUF magic; first parts of split models; never out of a root through a symlink; bounded.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findGgufFiles, ggufRoots } from "../../src/app/gguf-scan.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function home(): string {
  const base = realpathSync(mkdtempSync(join(tmpdir(), "hc-gguf-")));
  folders.push(base);
  mkdirSync(join(base, "home"));
  return join(base, "home");
}

/** A file that starts like a GGUF file (magic + version 3), padded to `size` bytes. */
function gguf(path: string, size = 64): void {
  mkdirSync(join(path, ".."), { recursive: true });
  const bytes = Buffer.alloc(size);
  bytes.write("GGUF", 0, "ascii");
  bytes.writeUInt32LE(3, 4);
  writeFileSync(path, bytes);
}

const digest = (char: string) => `sha256:${char.repeat(64)}`;

describe("findGgufFiles", () => {
  it("finds GGUF files of node-llama-cpp, Hugging Face, LM Studio and Ollama, and nothing else", () => {
    const h = home();
    const env = { HOME: h };
    const nlc = join(h, ".cache/node-llama-cpp/models");
    gguf(join(nlc, "hf_Qwen_qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"));
    writeFileSync(join(nlc, "fake.gguf"), "not a gguf file"); // wrong magic
    gguf(join(nlc, "mmproj-model-f16.gguf")); // a vision projector, not a model
    gguf(join(nlc, "big-00001-of-00002.gguf"));
    gguf(join(nlc, "big-00002-of-00002.gguf")); // loaded with the first part
    // Hugging Face: snapshot symlinks into blobs/ of the same cache
    const hub = join(h, ".cache/huggingface/hub/models--org--coder-GGUF");
    gguf(join(hub, "blobs", "abc123"));
    mkdirSync(join(hub, "snapshots", "rev1"), { recursive: true });
    symlinkSync(join(hub, "blobs", "abc123"), join(hub, "snapshots", "rev1", "coder-q8_0.gguf"));
    // LM Studio, both folders
    gguf(join(h, ".lmstudio/models/lmstudio-community/Coder-GGUF/coder-Q4_K_M.gguf"));
    gguf(join(h, ".cache/lm-studio/models/old/model.gguf"));
    // Ollama: manifest → blob without a .gguf name
    const ollama = join(h, ".ollama/models");
    gguf(join(ollama, "blobs", `sha256-${"a".repeat(64)}`), 128);
    mkdirSync(join(ollama, "manifests/registry.ollama.ai/library/qwen2.5-coder"), { recursive: true });
    writeFileSync(
      join(ollama, "manifests/registry.ollama.ai/library/qwen2.5-coder/7b"),
      JSON.stringify({
        layers: [
          { mediaType: "application/vnd.ollama.image.model", digest: digest("a") },
          { mediaType: "application/vnd.ollama.image.template", digest: digest("b") },
        ],
      }),
    );
    const found = findGgufFiles(env);
    expect(found.map((file) => [file.source, file.label])).toEqual([
      ["node-llama-cpp", "big-00001-of-00002.gguf"],
      ["node-llama-cpp", "hf_Qwen_qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"],
      ["huggingface", "coder-q8_0.gguf"],
      ["lm-studio", "coder-Q4_K_M.gguf"],
      ["lm-studio", "model.gguf"],
      ["ollama", "qwen2.5-coder:7b"],
    ]);
    const fromOllama = found.find((file) => file.source === "ollama");
    expect(fromOllama).toMatchObject({ ollamaModel: "qwen2.5-coder:7b", sizeBytes: 128 });
    expect(fromOllama?.path).toBe(join(ollama, "blobs", `sha256-${"a".repeat(64)}`));
    // the Hugging Face file is reported at its real path (the blob), once
    expect(found.find((file) => file.source === "huggingface")?.path).toBe(join(hub, "blobs", "abc123"));
  });

  it("never leaves a root through a symlink, file or folder", () => {
    const h = home();
    const outside = join(h, "..", "outside");
    gguf(join(outside, "elsewhere.gguf"));
    const nlc = join(h, ".cache/node-llama-cpp/models");
    mkdirSync(nlc, { recursive: true });
    symlinkSync(join(outside, "elsewhere.gguf"), join(nlc, "linked-file.gguf"));
    symlinkSync(outside, join(nlc, "linked-folder"));
    // an Ollama manifest naming a digest whose blob is a symlink out of the store
    const ollama = join(h, ".ollama/models");
    mkdirSync(join(ollama, "blobs"), { recursive: true });
    symlinkSync(join(outside, "elsewhere.gguf"), join(ollama, "blobs", `sha256-${"c".repeat(64)}`));
    mkdirSync(join(ollama, "manifests/registry.ollama.ai/library/evil"), { recursive: true });
    writeFileSync(
      join(ollama, "manifests/registry.ollama.ai/library/evil/latest"),
      JSON.stringify({ layers: [{ mediaType: "application/vnd.ollama.image.model", digest: digest("c") }] }),
    );
    expect(findGgufFiles({ HOME: h })).toEqual([]);
  });

  it("is bounded: depth and entry count, and the environment's folders are honoured", () => {
    const h = home();
    const deep = join(h, "models", "a", "b", "c", "d");
    gguf(join(deep, "deep.gguf"));
    const roots = [{ path: join(h, "models"), source: "lm-studio" as const }];
    expect(findGgufFiles({}, { roots, maxDepth: 4 }).map((file) => file.label)).toEqual(["deep.gguf"]);
    expect(findGgufFiles({}, { roots, maxDepth: 3 })).toEqual([]);
    for (let index = 0; index < 50; index++) writeFileSync(join(h, "models", `0junk${index}.txt`), "");
    expect(findGgufFiles({}, { roots, maxEntries: 20 })).toEqual([]);
    expect(findGgufFiles({}, { roots })).toHaveLength(1);
    const custom = ggufRoots({ HOME: h, HF_HUB_CACHE: "/hub", OLLAMA_MODELS: "/om" });
    expect(custom.map((root) => root.path)).toContain("/hub");
    expect(custom.map((root) => root.path)).toContain("/om");
    expect(ggufRoots({ HOME: h, HF_HOME: "/hf" }).map((root) => root.path)).toContain("/hf/hub");
  });
});
