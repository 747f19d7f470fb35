/**
 * Reading one entry at the REPL's prompt with node:readline: editing keys, history (↑/↓), tab
 * completion and multi-line input (a trailing backslash continues the entry; a paste of several
 * lines arrives as one entry). A fresh readline interface is made per entry and closed after it,
 * so while a command runs the terminal is back in cooked mode: Ctrl-C becomes SIGINT (which
 * cancels the run) and @clack/prompts questions own the keyboard without a second reader.
 */
import { createInterface, type Interface } from "node:readline";

export type Completer = (line: string) => Promise<[string[], string]> | [string[], string];

export type ReadResult =
  | { kind: "line"; text: string }
  | { kind: "interrupt"; empty: boolean }
  | { kind: "eof" };

export interface LineEditorOptions {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** Newest first, as node:readline keeps it; mutated as entries are added. */
  history: string[];
  historySize?: number;
  completer?: Completer;
}

/** Lines that arrive within this many ms of each other are one paste (one entry). */
const PASTE_GAP_MS = 12;

/**
 * Shows `prompt` and resolves with the entry, an interrupt (Ctrl-C; `empty` when nothing was
 * typed) or end of input (Ctrl-D on an empty line). `initial` pre-fills the line (edit mode).
 */
export function readEntry(
  options: LineEditorOptions,
  prompt: string,
  continuation: string,
  initial = "",
): Promise<ReadResult> {
  return new Promise((resolve) => {
    const completer = options.completer;
    const rl: Interface = createInterface({
      input: options.input,
      output: options.output,
      terminal: true,
      history: options.history,
      historySize: options.historySize ?? 1000,
      removeHistoryDuplicates: true,
      tabSize: 2,
      ...(completer
        ? {
            completer: (
              line: string,
              callback: (error: Error | null, result: [string[], string]) => void,
            ) => {
              Promise.resolve()
                .then(() => completer(line))
                .then(
                  (result) => callback(null, result),
                  () => callback(null, [[], line]),
                );
            },
          }
        : {}),
    });
    const lines: string[] = [];
    let settled = false;
    let pasteTimer: NodeJS.Timeout | undefined;
    const finish = (result: ReadResult) => {
      if (settled) return;
      settled = true;
      if (pasteTimer) clearTimeout(pasteTimer);
      rl.close();
      resolve(result);
    };
    rl.on("line", (line) => {
      if (pasteTimer) clearTimeout(pasteTimer);
      if (line.endsWith("\\")) {
        lines.push(line.slice(0, -1));
        rl.setPrompt(continuation);
        rl.prompt();
        return;
      }
      lines.push(line);
      // More lines of a paste may follow in the same burst; wait a moment before finishing.
      pasteTimer = setTimeout(() => {
        const text = lines.join("\n");
        finish({ kind: "line", text });
      }, PASTE_GAP_MS);
      // Pasted lines after the first are shown with the continuation prompt.
      rl.setPrompt(continuation);
    });
    rl.on("SIGINT", () => {
      const empty = lines.length === 0 && rl.line.length === 0;
      options.output.write(empty ? "\n" : "^C\n");
      finish({ kind: "interrupt", empty });
    });
    rl.on("close", () => {
      if (!settled) {
        settled = true;
        if (pasteTimer) clearTimeout(pasteTimer);
        if (lines.length > 0) resolve({ kind: "line", text: lines.join("\n") });
        else resolve({ kind: "eof" });
      }
    });
    rl.setPrompt(prompt);
    rl.prompt();
    if (initial) rl.write(initial);
  });
}
