/** One-key questions on a clean line ("Apply 3 files? [y/r/n]"), typed and confirmed with Enter. */
import { readEntry } from "./line-editor.js";
import type { Session } from "./session.js";

/**
 * Asks until the answer is one of `choices` (first letters, case-insensitive); Enter alone picks
 * `fallback`; Ctrl-C or Ctrl-D picks `cancel`.
 */
export async function ask(
  session: Session,
  question: string,
  choices: string[],
  options: { fallback?: string; cancel: string },
): Promise<string> {
  for (;;) {
    const answer = await readEntry(
      { input: session.io.input, output: session.io.output, history: [] },
      `${question} [${choices.join("/")}] `,
      "",
    );
    if (answer.kind !== "line") return options.cancel;
    const text = answer.text.trim().toLowerCase();
    if (text === "" && options.fallback) return options.fallback;
    const chosen = choices.find(
      (choice) => choice.toLowerCase() === text || choice.toLowerCase()[0] === text[0],
    );
    if (chosen && text.length > 0) return chosen.toLowerCase();
    session.output.note(`answer one of: ${choices.join(", ")}`);
  }
}
