/**
 * Recognises the path a model wrote near an edit: `### src/a.py`, `**a.py**`, "File: a.py",
 * "Here is the updated `src/a.py`:", a fence info string (```python src/a.py) and so on.
 * A line counts as a filename only if what remains looks like a path or is a known file:
 * prose is never turned into a path.
 */

const SPECIAL_NAMES =
  /^(Makefile|Dockerfile|Rakefile|Gemfile|Procfile|Justfile|Vagrantfile|LICENSE|README|CODEOWNERS|\.[\w.-]+)$/;
const PREFIX_WORDS =
  /^(?:file(?:name)?|path|in|update|updated|modify|modified|edit|create|new file|changes to)\s*:?\s+/i;

export function normalizePath(path: string): string {
  let result = path
    .trim()
    .replace(/\\/g, "/")
    .replace(/\/{2,}/g, "/");
  while (result.startsWith("./")) result = result.slice(2);
  return result;
}

export function looksLikePath(token: string, known: ReadonlySet<string>): boolean {
  if (known.has(token)) return true;
  if (token.length === 0 || token.length > 300) return false;
  if (!/^[^\s`'"<>|*?;,]+$/.test(token)) return false;
  if (/^[-+=<>#@!]/.test(token) || token.endsWith("/") || token.includes("://")) return false;
  const base = token.split("/").pop() ?? "";
  if (!/[A-Za-z_]/.test(base)) return false;
  if (SPECIAL_NAMES.test(base)) return true;
  const extension = /\.([A-Za-z0-9_+-]{1,12})$/.exec(base)?.[1];
  return extension !== undefined && /[A-Za-z]/.test(extension) && base.length > extension.length + 1;
}

function stripDecoration(line: string): string {
  let text = line.trim();
  let previous = "";
  while (previous !== text) {
    previous = text;
    text = text
      .replace(/^#{1,6}\s+/, "")
      .replace(/^(?:\/\/|--|;)\s+/, "")
      .replace(/^[-*+]\s+/, "")
      .replace(/^(\*\*|__|\*|`|"|')(.*)\1$/, "$2")
      .replace(/:$/, "")
      .replace(PREFIX_WORDS, "")
      .trim();
  }
  return text;
}

/** The path named by a prose/heading line, or null when the line names none. */
export function filenameFromLine(line: string, known: ReadonlySet<string>): string | null {
  const stripped = normalizePath(stripDecoration(line));
  if (looksLikePath(stripped, known)) return stripped;
  const quoted = [...line.matchAll(/`([^`\s]+)`/g)]
    .map((match) => normalizePath((match[1] ?? "").replace(/:$/, "")))
    .filter((token) => looksLikePath(token, known));
  const uniqueQuoted = [...new Set(quoted)];
  if (uniqueQuoted.length === 1) return uniqueQuoted[0] ?? null;
  if (known.size > 0) {
    const words = line
      .split(/[\s`'"*:,()]+/)
      .map((word) => normalizePath(word.replace(/[.]$/, "")))
      .filter((word) => known.has(word));
    const unique = [...new Set(words)];
    if (unique.length === 1) return unique[0] ?? null;
  }
  return null;
}

/** The path inside a fence info string: ```python src/a.py, ```src/a.py, ```ts:src/a.ts, ```js title="a.js". */
export function filenameFromFenceInfo(info: string, known: ReadonlySet<string>): string | null {
  const tokens = info
    .trim()
    .split(/[\s:]+/)
    .map((token) =>
      normalizePath(token.replace(/^(?:title|file|filename|path)=/, "").replace(/^["']|["']$/g, "")),
    )
    .filter((token) => token.length > 0);
  for (const token of tokens) {
    if (looksLikePath(token, known)) return token;
  }
  return null;
}

const cEscapes: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };

/**
 * Decodes a path as git writes it (`quote_c_style` in git's quote.c): a name with special or
 * non-ASCII bytes is put in double quotes with C escapes (`\t`, `\"`, `\\`) and octal bytes
 * (`"b/donn\303\251es.py"` is `b/données.py`). Unquoted names are returned as they are (less a
 * trailing tab-separated timestamp). Returns null when the quoted form is malformed or its bytes
 * are not UTF-8: such a name is refused rather than guessed.
 */
export function unquoteGitPath(raw: string): string | null {
  const trimmed = raw.split("\t")[0]?.trim() ?? "";
  if (!(trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2)) return trimmed;
  const body = trimmed.slice(1, -1);
  const bytes: number[] = [];
  for (let index = 0; index < body.length; index += 1) {
    const char = String.fromCodePoint(body.codePointAt(index) as number);
    index += char.length - 1;
    if (char === '"') return null; // an unescaped quote inside: not git's quoting
    if (char !== "\\") {
      bytes.push(...Buffer.from(char, "utf8"));
      continue;
    }
    const next = body[index + 1];
    if (next === undefined) return null;
    const octal = /^[0-3][0-7]{2}/.exec(body.slice(index + 1, index + 4))?.[0];
    if (octal) {
      bytes.push(Number.parseInt(octal, 8));
      index += 3;
    } else if (next in cEscapes) {
      bytes.push(cEscapes[next] as number);
      index += 1;
    } else return null;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}
