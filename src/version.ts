import { readFileSync } from "node:fs";

function readVersion(): string {
  try {
    const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
    return (JSON.parse(text) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

export const VERSION = readVersion();
