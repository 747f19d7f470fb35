/**
 * The identifiers a file mentions. A word scan over the source with comments and string literals
 * blanked, instead of a second tree query: several times faster on large files, and close enough
 * for ranking. Keywords and one-letter names are dropped; so are the file's own names.
 */

const keywords = new Set(
  (
    "if else elif for while do return break continue switch case default try catch finally throw throws " +
    "class interface struct enum trait impl fn func def function var let const static public private " +
    "protected internal abstract final override virtual new delete this self super null nil none true " +
    "false True False None and or not in is as import from export package namespace use using module " +
    "type typedef union extern void int char float double long short unsigned signed bool boolean string " +
    "async await yield lambda with pass raise except global nonlocal assert del print end begin then elsif " +
    "unless until require include mut pub crate where loop match ref move dyn go chan map select defer " +
    "fallthrough goto range struct sizeof typeof instanceof of get set readonly declare keyof infer " +
    "template typename operator friend inline volatile register auto constexpr nullptr noexcept " +
    "echo array callable foreach endforeach endif endwhile elseif isset unset empty list"
  ).split(" "),
);

/**
 * One pass per file: comments and double-quoted/template strings (single quotes are also Rust
 * lifetimes) are matched and skipped, identifiers captured. Three blanking passes and a fourth
 * scan cost about twice as much on the CPython standard library.
 */
const tokenPatterns = {
  hash: /"{3}[\s\S]*?"{3}|'{3}[\s\S]*?'{3}|#[^\n]*|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`|([A-Za-z_$][A-Za-z0-9_$]*)/g,
  cLike: /\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`|([A-Za-z_$][A-Za-z0-9_$]*)/g,
  php: /\/\*[\s\S]*?\*\/|\/\/[^\n]*|#[^\n]*|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`|([A-Za-z_$][A-Za-z0-9_$]*)/g,
};

const hashCommentLanguages = new Set(["python", "ruby"]);

export function identifierReferences(source: string, defined: ReadonlySet<string>, language = ""): string[] {
  const pattern = hashCommentLanguages.has(language)
    ? tokenPatterns.hash
    : language === "php"
      ? tokenPatterns.php
      : tokenPatterns.cLike;
  pattern.lastIndex = 0;
  const seen = new Set<string>();
  for (let match = pattern.exec(source); match !== null; match = pattern.exec(source)) {
    const word = match[1];
    if (word !== undefined && word.length >= 2) seen.add(word);
  }
  const out: string[] = [];
  for (const word of seen) if (!keywords.has(word) && !defined.has(word)) out.push(word);
  return out.sort();
}
