#!/usr/bin/env python3
"""Ports gitleaks' default rule set (config/gitleaks.toml, MIT licence) to the JSON data file
src/checks/secret-rules.json that hierocode's secret scanner reads, and appends the connection-
string rules of secretlint (MIT licence) that gitleaks lacks.

Usage: python3 scripts/port-secret-rules.py <path/to/gitleaks.toml> <gitleaks commit> > src/checks/secret-rules.json

Go RE2 syntax is converted to JavaScript where the two differ: a leading (?i) becomes the "i" flag,
(?P<name> becomes (?<name>, \\z becomes $, (?s:.) becomes [\\s\\S], [:alnum:] becomes A-Za-z0-9.
Inline modifier groups ((?i:...), (?-i:...)) are kept; the loader compiles them natively where the
JavaScript engine supports modifiers and otherwise falls back to a case-insensitive whole pattern
(matches more, never less).
"""
import json
import re
import sys
import tomllib


def scope_inline_flags(pattern: str) -> str:
    """Go's mid-pattern (?i) applies to the rest of its enclosing group; JavaScript has no such
    switch, so it becomes a modifier group (?i:...) that ends where the enclosing group ends."""
    while True:
        start = pattern.find("(?i)")
        if start <= 0:
            return pattern
        depth = 0
        index = start + 4
        in_class = False
        while index < len(pattern):
            char = pattern[index]
            if char == "\\":
                index += 2
                continue
            if in_class:
                if char == "]":
                    in_class = False
            elif char == "[":
                in_class = True
            elif char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            elif char == "|" and depth == 0:
                break
            index += 1
        pattern = pattern[:start] + "(?i:" + pattern[start + 4 : index] + ")" + pattern[index:]


def convert(pattern: str) -> tuple[str, str]:
    flags = ""
    if pattern.startswith("(?i)"):
        pattern = pattern[4:]
        flags = "i"
    pattern = scope_inline_flags(pattern)
    pattern = pattern.replace("(?P<", "(?<")
    pattern = pattern.replace("\\z", "$")
    pattern = pattern.replace("(?s:.)", "[\\s\\S]")
    pattern = pattern.replace("[:alnum:]", "A-Za-z0-9")
    return pattern, flags


def regex_entry(pattern: str) -> dict:
    source, flags = convert(pattern)
    return {"source": source, "flags": flags}


def allowlist(raw: dict) -> dict:
    out: dict = {}
    if "condition" in raw:
        out["condition"] = raw["condition"].upper()
    if "regexTarget" in raw:
        out["regexTarget"] = raw["regexTarget"]
    if raw.get("regexes"):
        out["regexes"] = [regex_entry(r) for r in raw["regexes"]]
    if raw.get("stopwords"):
        out["stopwords"] = [w.lower() for w in raw["stopwords"]]
    if raw.get("paths"):
        out["paths"] = [regex_entry(p) for p in raw["paths"]]
    return out


def main() -> None:
    toml_path, commit = sys.argv[1], sys.argv[2]
    with open(toml_path, "rb") as handle:
        config = tomllib.load(handle)
    rules = []
    for raw in config["rules"]:
        rule: dict = {"id": raw["id"], "description": raw.get("description", ""), "source": "gitleaks"}
        if "regex" in raw:
            rule["regex"] = regex_entry(raw["regex"])
        if "path" in raw:
            rule["path"] = regex_entry(raw["path"])
        if "entropy" in raw:
            rule["entropy"] = raw["entropy"]
        if "secretGroup" in raw:
            rule["secretGroup"] = raw["secretGroup"]
        if raw.get("keywords"):
            rule["keywords"] = [k.lower() for k in raw["keywords"]]
        if raw.get("allowlists"):
            rule["allowlists"] = [allowlist(a) for a in raw["allowlists"]]
        rules.append(rule)

    # secretlint (packages/@secretlint/secretlint-rule-database-connection-string and -basicauth):
    # a password inside a connection string or URL. The password is the secret; template variables
    # and the placeholder words secretlint ignores are allowed.
    secretlint_placeholders = [
        r"\$\{[^}]{1,50}\}",
        r"\{\{[^}]{1,50}\}\}",
        r"\{[^}]{1,50}\}",
        r"%[A-Z_]{1,30}%",
        r"\$[A-Z_]{1,30}",
        r"\$\([^)]{1,50}\)",
        r"^(?:password|mypassword|your_password|replace_with_password|pass|secret)$",
    ]
    placeholder_allowlist = {"regexes": [{"source": r, "flags": "i"} for r in secretlint_placeholders]}
    for rule_id, scheme, keywords in [
        ("mongodb-connection-string", r"mongodb(?:\+srv)?", ["mongodb"]),
        ("mysql-connection-string", r"(?:jdbc:)?mysql(?:x)?", ["mysql"]),
        ("postgresql-connection-string", r"postgres(?:ql)?", ["postgres"]),
    ]:
        rules.append(
            {
                "id": rule_id,
                "description": "A database connection string with a password (ported from secretlint).",
                "source": "secretlint",
                "regex": {
                    "source": scheme + r":\/\/(?<username>[^:\/\s]{1,100}):(?<password>[^@\/\s]{1,200})@(?<host>[^\/\s?]{1,100})",
                    "flags": "i",
                },
                "secretGroup": 2,
                "keywords": keywords,
                "allowlists": [placeholder_allowlist],
            }
        )
    rules.append(
        {
            "id": "basic-auth-url",
            "description": "A URL with a user name and password (ported from secretlint's basicauth rule).",
            "source": "secretlint",
            "regex": {
                "source": r"(?<protocol>(?:https?|ftp|ftps|redis|rediss|amqps?)):\/\/(?<user>[-a-zA-Z0-9_.]{1,256}):(?<password>[-a-zA-Z0-9_~!$&*+=]{1,256})@[-a-zA-Z0-9%._+~#=]{1,256}",
                "flags": "",
            },
            "secretGroup": 3,
            "keywords": ["://"],
            "allowlists": [placeholder_allowlist],
        }
    )

    # hierocode's own addition (neither set has it): a password literal of any length assigned to a
    # password-named key, quoted in code or bare in a .env/shell file. gitleaks' generic rule needs
    # 10+ characters and entropy 3.5, so `password = "hunter2"` would leave unasked.
    password_allowlist = {
        "regexes": placeholder_allowlist["regexes"]
        + [{"source": r"^(?:\*+|x+|\.+|changeme|change_me|example|null|none|true|false|undefined)$", "flags": "i"}]
    }
    rules.append(
        {
            "id": "password-assignment",
            "description": "A password literal assigned to a password-named key.",
            "source": "hierocode",
            "regex": {
                "source": r"(?:passw(?:or)?d|passwd|pwd|passphrase)[\w.-]{0,20}[\"']?[ \t]*(?:=|:|=>|:=)[ \t]*[\"'\x60]([^\"'\x60\s]{4,128})[\"'\x60]",
                "flags": "i",
            },
            "keywords": ["pass", "pwd"],
            "allowlists": [password_allowlist],
        }
    )
    rules.append(
        {
            "id": "password-env-assignment",
            "description": "A password assigned in a .env or shell file.",
            "source": "hierocode",
            "regex": {
                "source": r"(?:^|[\s;])(?:export[ \t]+)?[A-Za-z_][\w.]*(?:PASSW(?:OR)?D|PASSWD|PWD|PASSPHRASE)[\w.]*=([^\s\"'#$]{4,128})(?=\s|$)",
                "flags": "i",
            },
            "keywords": ["pass", "pwd"],
            "allowlists": [password_allowlist],
        }
    )

    data = {
        "comment": "Generated by scripts/port-secret-rules.py; do not edit by hand.",
        "sources": {
            "gitleaks": {
                "file": "config/gitleaks.toml",
                "commit": commit,
                "licence": "MIT, Copyright (c) 2019 Zachary Rice",
            },
            "secretlint": {
                "files": [
                    "packages/@secretlint/secretlint-rule-database-connection-string/src/index.ts",
                    "packages/@secretlint/secretlint-rule-basicauth/src/index.ts",
                ],
                "licence": "MIT, Copyright (c) 2020 azu",
            },
        },
        "allowlist": allowlist(config.get("allowlist", {})),
        "rules": rules,
    }
    json.dump(data, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
