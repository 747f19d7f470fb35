/**
 * Host resources: cores, RAM, GPUs. GPU detection is best-effort and free: nvidia-smi when it is
 * on PATH, Apple Silicon unified memory, otherwise none.
 */
import { spawnSync } from "node:child_process";
import { arch, availableParallelism, cpus, freemem, platform, totalmem } from "node:os";

export interface GpuInfo {
  name: string;
  vramBytes: number;
  /** "nvidia" | "apple" */
  vendor: string;
}

export interface HostResources {
  cpuCount: number;
  cpuModel: string;
  totalRamBytes: number;
  availableRamBytes: number;
  gpus: GpuInfo[];
  platform: string;
  arch: string;
}

export type ResourceProbe = () => HostResources;

export function readGpus(env: Record<string, string | undefined> = process.env): GpuInfo[] {
  if (env.HIEROCODE_FAKE_GPU) {
    // Tests and users without nvidia-smi can declare a GPU: "name:vram_gib".
    const [name = "gpu", gib = "0"] = env.HIEROCODE_FAKE_GPU.split(":");
    return [{ name, vramBytes: Number(gib) * 1024 ** 3, vendor: "declared" }];
  }
  if (platform() === "darwin" && arch() === "arm64") {
    return [{ name: "Apple Silicon (unified memory)", vramBytes: totalmem(), vendor: "apple" }];
  }
  const result = spawnSync("nvidia-smi", ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"], {
    encoding: "utf8",
    timeout: 3000,
    stdio: ["ignore", "pipe", "ignore"],
  });
  if (result.status !== 0 || !result.stdout) return [];
  return result.stdout
    .trim()
    .split("\n")
    .map((line) => {
      const [name = "NVIDIA GPU", mib = "0"] = line.split(",").map((part) => part.trim());
      return { name, vramBytes: Number(mib) * 1024 ** 2, vendor: "nvidia" };
    });
}

export function readResources(env: Record<string, string | undefined> = process.env): HostResources {
  const cpuList = cpus();
  return {
    cpuCount: availableParallelism(),
    cpuModel: cpuList[0]?.model ?? "unknown",
    totalRamBytes: env.HIEROCODE_FAKE_RAM_GIB ? Number(env.HIEROCODE_FAKE_RAM_GIB) * 1024 ** 3 : totalmem(),
    availableRamBytes: freemem(),
    gpus: readGpus(env),
    platform: platform(),
    arch: arch(),
  };
}

export const GiB = 1024 ** 3;

export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/** Parses Ollama's parameter_size ("7.6B", "494.03M") into a parameter count. */
export function parseParameterSize(size: string | undefined): number | undefined {
  if (!size) return undefined;
  const match = /^([\d.]+)\s*([KMBT])?/i.exec(size.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? "").toUpperCase();
  const scale = unit === "T" ? 1e12 : unit === "B" ? 1e9 : unit === "M" ? 1e6 : unit === "K" ? 1e3 : 1;
  return Number.isFinite(value) ? value * scale : undefined;
}
