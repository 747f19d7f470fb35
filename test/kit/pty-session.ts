/**
 * An interactive session in a real pseudo-terminal (test/kit/pty-drive.py --interactive) with a
 * terminal emulator (@xterm/headless) in front of it, so tests assert on the screen as the user
 * sees it — after cursor movement, in-place redraws and erasing — and type keys in between.
 * Waits have their own timeouts (below vitest's) and their errors carry the screen.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import xterm from "@xterm/headless";

const driver = fileURLToPath(new URL("./pty-drive.py", import.meta.url));

export const ctrl = { c: "\u0003", d: "\u0004", enter: "\r", tab: "\t", up: "\u001b[A", down: "\u001b[B" };

export interface PtySession {
  /** Types keys (as the terminal would send them). */
  type(keys: string): void;
  /** The visible screen, one string per row, trailing spaces trimmed. */
  screen(): string;
  /** Everything that has scrolled by plus the screen. */
  history(): string;
  /** Raw bytes the program wrote (with escape sequences). */
  raw(): string;
  /**
   * Waits until `test` matches the screen + scrollback (text after `since` when given, a
   * position from `mark()`); throws with the screen after `timeoutMs`.
   */
  waitFor(test: string | RegExp, options?: { timeoutMs?: number; since?: number }): Promise<string>;
  /**
   * The cursor's line for later waits: only text from that line on counts. (A line, not a
   * character offset: in-place redraws below it erase and rewrite lines, which must not shift it.)
   */
  mark(): number;
  /** Resolves with the exit code when the program ends. */
  exited: Promise<number | null>;
  /** Hangs up (closes the terminal) and waits for the end. */
  close(): Promise<number | null>;
}

export function startPtySession(
  command: string[],
  options: { cwd?: string; env: Record<string, string | undefined>; cols?: number; rows?: number },
): PtySession {
  const env = { ...options.env };
  delete env.CI;
  const child: ChildProcess = spawn("python3", [driver, "--interactive", "--", ...command], {
    env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ["pipe", "pipe", "inherit"],
  });
  const terminal = new xterm.Terminal({
    cols: options.cols ?? 120,
    rows: options.rows ?? 40,
    scrollback: 5000,
    allowProposedApi: true,
  });
  let raw = "";
  let pending = Promise.resolve();
  child.stdout?.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    raw += text;
    pending = pending.then(() => new Promise<void>((resolve) => terminal.write(text, resolve)));
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));

  const rows = (from: number, to: number): string[] => {
    const buffer = terminal.buffer.active;
    const out: string[] = [];
    for (let index = from; index < to; index += 1)
      out.push(buffer.getLine(index)?.translateToString(true) ?? "");
    return out;
  };
  const screen = () => {
    const buffer = terminal.buffer.active;
    return rows(buffer.baseY, buffer.baseY + terminal.rows)
      .join("\n")
      .trimEnd();
  };
  const history = (fromLine = 0) => {
    const buffer = terminal.buffer.active;
    return rows(fromLine, buffer.baseY + terminal.rows)
      .join("\n")
      .trimEnd();
  };

  return {
    type(keys) {
      child.stdin?.write(keys);
    },
    screen,
    history: () => history(),
    raw: () => raw,
    mark: () => terminal.buffer.active.baseY + terminal.buffer.active.cursorY,
    async waitFor(test, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? 15_000;
      const deadline = Date.now() + timeoutMs;
      let ended = false;
      void exited.then(() => {
        ended = true;
      });
      for (;;) {
        await pending;
        const text = history(waitOptions.since ?? 0);
        if (typeof test === "string" ? text.includes(test) : test.test(text)) return text;
        if (Date.now() > deadline || ended) {
          if (ended) await new Promise((resolve) => setTimeout(resolve, 50)).then(() => pending);
          const again = history(waitOptions.since ?? 0);
          if (typeof test === "string" ? again.includes(test) : test.test(again)) return again;
          throw new Error(
            `pty: ${ended ? "program ended" : `${timeoutMs} ms passed`} without ${String(test)}; screen:\n${screen()}\n--- history ---\n${history().slice(-4000)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    },
    exited,
    async close() {
      child.stdin?.end();
      const code = await exited;
      terminal.dispose();
      return code;
    },
  };
}
