/**
 * Secret scanning with gitleaks' default rule set (ported as data to `secret-rules.json` by
 * `scripts/port-secret-rules.py`; MIT licence), plus secretlint's connection-string rules and a
 * password-assignment rule of our own. Semantics follow gitleaks' `detectRule`
 * (detect/detect.go): keyword prefilter, regex, secret = `secretGroup` or the first non-empty
 * capture group, entropy must exceed the rule's threshold, then the global and the rule's
 * allowlists (regexes on the secret, match or line; stopwords in the secret; AND/OR conditions).
 * A line containing `gitleaks:allow` is skipped, as in gitleaks.
 */
import data from "./secret-rules.json" with { type: "json" };

interface RegexData {
  source: string;
  flags: string;
}

interface AllowlistData {
  condition?: string;
  regexTarget?: string;
  regexes?: RegexData[];
  stopwords?: string[];
  paths?: RegexData[];
}

interface RuleData {
  id: string;
  description: string;
  source: string;
  regex?: RegexData;
  path?: RegexData;
  entropy?: number;
  secretGroup?: number;
  keywords?: string[];
  allowlists?: AllowlistData[];
}

interface Allowlist {
  and: boolean;
  target: "secret" | "match" | "line";
  regexes: RegExp[];
  stopwords: string[];
  paths: RegExp[];
}

interface Rule {
  id: string;
  description: string;
  regex: RegExp;
  path?: RegExp;
  entropy?: number;
  secretGroup?: number;
  keywords: string[];
  allowlists: Allowlist[];
}

export interface SecretFinding {
  /** gitleaks rule id (e.g. `stripe-access-token`), or ours (`password-assignment`). */
  ruleId: string;
  description: string;
  /** The secret itself (the capture group), and its UTF-16 offsets in the scanned text. */
  secret: string;
  start: number;
  end: number;
  /** 1-based line of the secret. */
  line: number;
}

/**
 * Compiles a ported pattern. Inline modifier groups `(?i:…)` / `(?-i:…)` need a JavaScript engine
 * with RegExp modifiers (V8 12.5+, Node 23+); on older engines they are dropped and the whole
 * pattern becomes case-insensitive, which matches more, never less.
 */
function compile(pattern: RegexData, extraFlags: string): RegExp {
  const flags = [...new Set(`${pattern.flags}${extraFlags}`)].join("");
  try {
    return new RegExp(pattern.source, flags);
  } catch {
    const loose = pattern.source.replace(/\(\?-?i:/g, "(?:");
    return new RegExp(loose, [...new Set(`${flags}i`)].join(""));
  }
}

function compileAllowlist(raw: AllowlistData): Allowlist {
  return {
    and: raw.condition === "AND",
    target: raw.regexTarget === "match" || raw.regexTarget === "line" ? raw.regexTarget : "secret",
    regexes: (raw.regexes ?? []).map((pattern) => compile(pattern, "")),
    stopwords: raw.stopwords ?? [],
    paths: (raw.paths ?? []).map((pattern) => compile(pattern, "")),
  };
}

let compiled: { rules: Rule[]; global: Allowlist } | undefined;

function ruleSet(): { rules: Rule[]; global: Allowlist } {
  if (compiled) return compiled;
  const rules: Rule[] = [];
  for (const raw of data.rules as RuleData[]) {
    if (!raw.regex) continue; // path-only rules name files, see isSecretFileName
    rules.push({
      id: raw.id,
      description: raw.description,
      regex: compile(raw.regex, "gd"),
      ...(raw.path ? { path: compile(raw.path, "") } : {}),
      ...(raw.entropy !== undefined ? { entropy: raw.entropy } : {}),
      ...(raw.secretGroup !== undefined ? { secretGroup: raw.secretGroup } : {}),
      keywords: raw.keywords ?? [],
      allowlists: (raw.allowlists ?? []).map(compileAllowlist),
    });
  }
  compiled = { rules, global: compileAllowlist(data.allowlist as AllowlistData) };
  return compiled;
}

/** Shannon entropy in bits per character, as gitleaks computes it (over bytes of ASCII keys). */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const probability = count / text.length;
    entropy -= probability * Math.log2(probability);
  }
  return entropy;
}

function allowed(
  list: Allowlist,
  finding: { secret: string; match: string; line: string },
  path: string | undefined,
): boolean {
  const checks: boolean[] = [];
  if (list.paths.length > 0) checks.push(path !== undefined && list.paths.some((regex) => regex.test(path)));
  if (list.regexes.length > 0) {
    const target = finding[list.target];
    checks.push(list.regexes.some((regex) => regex.test(target)));
  }
  if (list.stopwords.length > 0) {
    const lower = finding.secret.toLowerCase();
    checks.push(list.stopwords.some((word) => lower.includes(word)));
  }
  if (checks.length === 0) return false;
  return list.and ? checks.every(Boolean) : checks.some(Boolean);
}

function lineAround(text: string, start: number, end: number): string {
  const from = text.lastIndexOf("\n", start - 1) + 1;
  const newline = text.indexOf("\n", end);
  return text.slice(from, newline === -1 ? text.length : newline);
}

function lineNumber(text: string, offset: number): number {
  let line = 1;
  for (let index = text.indexOf("\n"); index !== -1 && index < offset; index = text.indexOf("\n", index + 1))
    line += 1;
  return line;
}

/**
 * Every secret in `text`, in order of position; overlapping findings keep the first (longest on
 * ties). `path` (repository-relative) enables the rules and allowlists that look at file names.
 */
export function scanSecrets(text: string, options: { path?: string } = {}): SecretFinding[] {
  if (text.length === 0) return [];
  const { rules, global } = ruleSet();
  const lower = text.toLowerCase();
  const found: SecretFinding[] = [];
  for (const rule of rules) {
    if (rule.keywords.length > 0 && !rule.keywords.some((keyword) => lower.includes(keyword))) continue;
    if (rule.path && (options.path === undefined || !rule.path.test(options.path))) continue;
    rule.regex.lastIndex = 0;
    for (const match of text.matchAll(rule.regex)) {
      const matchStart = match.index;
      const indices = match.indices;
      let group = 0;
      if (match.length > 1) {
        if (rule.secretGroup !== undefined) group = rule.secretGroup;
        else group = match.findIndex((value, index) => index > 0 && value !== undefined && value !== "");
        if (group < 0) group = 0;
      }
      const span = indices?.[group];
      const secret = match[group];
      if (!span || secret === undefined || secret === "") continue;
      if (rule.entropy !== undefined && shannonEntropy(secret) <= rule.entropy) continue;
      const line = lineAround(text, matchStart, matchStart + match[0].length);
      if (line.includes("gitleaks:allow")) continue;
      const candidate = { secret, match: match[0], line };
      if (allowed(global, { ...candidate, line }, options.path)) continue;
      if (rule.allowlists.some((list) => allowed(list, candidate, options.path))) continue;
      found.push({
        ruleId: rule.id,
        description: rule.description,
        secret,
        start: span[0],
        end: span[1],
        line: 0,
      });
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: SecretFinding[] = [];
  for (const finding of found) {
    const previous = kept[kept.length - 1];
    if (previous && finding.start < previous.end) continue;
    kept.push({ ...finding, line: lineNumber(text, finding.start) });
  }
  return kept;
}

/**
 * File names whose whole content is secret: `.env` files (not `.env.example`-style templates),
 * private keys, keystores, and the files gitleaks' path-only rules name (e.g. PKCS#12).
 */
export function isSecretFileName(path: string): boolean {
  const base = path.split("/").pop() ?? path;
  if (/^\.env(?:\.|$)/i.test(base) && !/\.(?:example|sample|template|dist|defaults?)$/i.test(base))
    return true;
  if (/^(?:id_(?:rsa|dsa|ecdsa|ed25519)|.*\.(?:pem|key|p12|pfx|jks|keystore|ppk|asc|gpg|kdbx))$/i.test(base))
    return !/\.pub$/i.test(base);
  if (
    /^(?:\.npmrc|\.pypirc|\.netrc|\.git-credentials|credentials(?:\.json)?|secrets?\.(?:ya?ml|json|toml))$/i.test(
      base,
    )
  )
    return true;
  return pathOnlyRules().some((regex) => regex.test(path));
}

let pathRules: RegExp[] | undefined;
function pathOnlyRules(): RegExp[] {
  pathRules ??= (data.rules as RuleData[])
    .filter((rule) => rule.path && !rule.regex)
    .map((rule) => compile(rule.path as RegexData, ""));
  return pathRules;
}

/** The number of ported rules, for `doctor`-style reporting and tests. */
export function secretRuleCount(): number {
  return ruleSet().rules.length;
}
