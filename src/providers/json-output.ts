/**
 * Getting JSON out of model text. Structured output is asked of the provider whenever it can
 * do it; this is the fallback for models that wrap the JSON in prose or code fences. Unlike
 * brace counting, the scanner knows about strings, so `"}"` inside a value does not end the object.
 */

export type JsonExtraction = { ok: true; value: unknown } | { ok: false; error: string };

function tryParse(text: string): JsonExtraction {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/**
 * Index just past the bracket that closes the one at `start`, skipping string contents and
 * escapes; -1 when the text ends first.
 */
export function findClosingBracket(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let index = start; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (char === "\\") index += 1;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "{") stack.push("}");
    else if (char === "[") stack.push("]");
    else if (char === "}" || char === "]") {
      if (stack.pop() !== char) return -1;
      if (stack.length === 0) return index + 1;
    }
  }
  return -1;
}

const fencePattern = /```(?:json|JSON)?[ \t]*\r?\n([\s\S]*?)\r?\n?```/g;

/**
 * Parses `text` as JSON, else the contents of a ```json fence, else the first balanced
 * object/array found by a string-aware scan. Objects are preferred to arrays.
 */
export function extractJson(text: string): JsonExtraction {
  const trimmed = text.trim();
  const direct = tryParse(trimmed);
  if (direct.ok) return direct;

  for (const match of trimmed.matchAll(fencePattern)) {
    const fenced = tryParse((match[1] ?? "").trim());
    if (fenced.ok) return fenced;
  }

  for (const opener of ["{", "["]) {
    let start = trimmed.indexOf(opener);
    while (start !== -1) {
      const end = findClosingBracket(trimmed, start);
      if (end !== -1) {
        const candidate = tryParse(trimmed.slice(start, end));
        if (candidate.ok) return candidate;
      }
      start = trimmed.indexOf(opener, start + 1);
    }
  }
  return { ok: false, error: `no JSON value found (${direct.error})` };
}

/** Fills `json` (and a warning when it could not) for a result that was asked for a schema. */
export function attachJson(text: string, warnings: string[]): unknown {
  const extraction = extractJson(text);
  if (extraction.ok) return extraction.value;
  warnings.push(`the model was asked for JSON but its answer is not valid JSON: ${extraction.error}`);
  return undefined;
}
