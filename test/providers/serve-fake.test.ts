/** The standalone runner starts each fake in its own process and prints a usable URL. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGTERM");
});

async function serve(args: string[]): Promise<string> {
  const child = spawn(
    process.execPath,
    ["--experimental-strip-types", "--no-warnings", "test/kit/serve-fake.ts", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) return line.trim();
  throw new Error("serve-fake printed nothing");
}

describe("serve-fake", () => {
  it("serves a scripted fake Ollama from a JSON file", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "serve-fake-")), "script.json");
    writeFileSync(file, JSON.stringify({ default: { text: "from the script file" } }));
    const url = await serve(["ollama", "--port", "0", "--script", file]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: "llama3.2", messages: [{ role: "user", content: "x" }], stream: false }),
    });
    const body = (await response.json()) as { message: { content: string } };
    expect(body.message.content).toBe("from the script file");
  });

  it("prints the /v1 base URL for the OpenAI-compatible fake", async () => {
    const url = await serve(["openai"]);
    expect(url).toMatch(/\/v1$/);
    expect((await fetch(`${url}/models`)).status).toBe(200);
  });
});
