/**
 * Words, not just identifiers: a task says "add retries to the ollama provider" where the code
 * says `withRetries` in `src/providers/ollama.ts`. Both sides are cut into the same terms —
 * identifiers split at camelCase, snake_case, kebab-case and digits, lower-cased, lightly stemmed
 * (retries → retry, providers → provider, logging → log) — so that prose can meet code.
 */

/** Words of a task that say nothing about where the work is. */
const stopwords = new Set(
  (
    "a an the to of in on at for with by and or not no nor when from be is are was were it its this that " +
    "these those there here into onto also both each every all any some more less than then instead per too " +
    "very so as if but do does did done can could should would will shall may might must need needs let " +
    "lets make makes add adds use uses using used support supports allow allows new way ways our their we " +
    "you your i me my them they he she via about after before over under between without within only just " +
    "like same other another such what which who whom whose how why where while again further once"
  ).split(" "),
);

export function isStopword(term: string): boolean {
  return stopwords.has(term);
}

/** Light suffix stripping; both sides of a comparison go through it, so it only needs to agree with itself. */
export function stem(word: string): string {
  let term = word.toLowerCase();
  if (term.length <= 3) return term;
  if (term.endsWith("ies") && term.length > 4) term = `${term.slice(0, -3)}y`;
  else if (term.endsWith("sses")) term = term.slice(0, -2);
  else if (/(s|x|z|ch|sh)es$/.test(term)) term = term.slice(0, -2);
  else if (term.endsWith("s") && !term.endsWith("ss") && !term.endsWith("us") && !term.endsWith("is"))
    term = term.slice(0, -1);
  if (term.endsWith("ing") && term.length > 5) term = term.slice(0, -3);
  else if (term.endsWith("ed") && term.length > 4) term = term.slice(0, -2);
  // running → runn → run; stopped → stopp → stop
  if (/([^aeiouls])\1$/.test(term)) term = term.slice(0, -1);
  if (term.endsWith("e") && term.length > 3) term = term.slice(0, -1);
  if (term.endsWith("i") && term.length > 3) term = `${term.slice(0, -1)}y`;
  return term;
}

const splitCache = new Map<string, string[]>();

/** `withRetries` → with, retry; `FTP_TLS` → ftp, tls; `line-counter` → line, counter. */
export function splitIdentifier(name: string): string[] {
  const cached = splitCache.get(name);
  if (cached) return cached;
  const parts = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/([A-Za-z])([0-9])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map(stem);
  if (splitCache.size > 200_000) splitCache.clear();
  splitCache.set(name, parts);
  return parts;
}

/** A name as one term (`DictWriter` → dictwriter): how a task that writes the name whole finds it. */
export function wholeTerm(name: string): string {
  return stem(name.replace(/[^A-Za-z0-9]/g, ""));
}

export interface TaskTerms {
  /** Stemmed words of the task, stopwords removed, including the split parts of code-like tokens. */
  words: Set<string>;
  /** Whole tokens as written (`DictWriter` → dictwriter, `json.dumps` → json, dumps). */
  wholes: Set<string>;
  /** `json.dumps`, `Queue.get`: [qualifier, name] as whole terms — a module or class and what it defines. */
  qualified: Array<[string, string]>;
}

export function taskTerms(task: string): TaskTerms {
  const words = new Set<string>();
  const wholes = new Set<string>();
  for (const token of task.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []) {
    if (stopwords.has(token.toLowerCase())) continue;
    const whole = wholeTerm(token);
    if (whole.length >= 2) wholes.add(whole);
    for (const part of splitIdentifier(token)) {
      if (part.length >= 2 && !stopwords.has(part)) words.add(part);
    }
  }
  const qualified: Array<[string, string]> = [];
  for (const dotted of task.match(/[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+/g) ?? []) {
    const segments = dotted.split(".");
    for (let index = 1; index < segments.length; index++)
      qualified.push([wholeTerm(segments[index - 1] ?? ""), wholeTerm(segments[index] ?? "")]);
  }
  return { words, wholes, qualified };
}

/**
 * The terms of a path, by where they occur: the file's own name (for `__init__.py`, `index.ts`,
 * `mod.rs` and friends: its folder's name) and the folders above it.
 */
export function pathTerms(path: string): { stem: string[]; stemWhole: string; folders: string[] } {
  const parts = path.split("/");
  const fileName = parts.pop() ?? "";
  let base = fileName.replace(/\.[^.]*$/, "").replace(/\.(d|test|spec|min)$/, "");
  if (/^(__init__|index|mod|main|lib)$/.test(base) && parts.length > 0)
    base = parts[parts.length - 1] ?? base;
  return {
    stem: splitIdentifier(base).filter((part) => !stopwords.has(part)),
    stemWhole: wholeTerm(base),
    folders: parts.flatMap((part) => splitIdentifier(part)),
  };
}
