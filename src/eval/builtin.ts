/**
 * The built-in evaluation suite: small single-file edit tasks in Python and TypeScript. Each task
 * has the file before the edit, an instruction, and hidden assertions run after the draft is
 * applied (`python3 check_hidden.py` / `node --experimental-strip-types check_hidden.mjs`; both
 * run on a machine with Python 3 and Node without installs). `solution` is a reference answer
 * kept for the suite's own test (the before-file fails the check, the solution passes); it never
 * reaches a model.
 */
import type { EvalTask } from "./suite.js";

export interface BuiltinTask extends EvalTask {
  solution: string;
}

const pyTest = "python3 check_hidden.py";
const tsTest = "node --experimental-strip-types --no-warnings check_hidden.mjs";

function py(
  id: string,
  file: string,
  instruction: string,
  before: string,
  solution: string,
  asserts: string,
): BuiltinTask {
  const module = file.replace(/\.py$/, "");
  return {
    id,
    language: "python",
    instruction,
    files: { [file]: before },
    hidden_files: { "check_hidden.py": `from ${module} import *\n${asserts.trim()}\nprint("ok")\n` },
    test: pyTest,
    target: file,
    solution,
  };
}

function ts(
  id: string,
  file: string,
  instruction: string,
  before: string,
  solution: string,
  asserts: string,
): BuiltinTask {
  return {
    id,
    language: "typescript",
    instruction,
    files: { [file]: before },
    hidden_files: {
      "check_hidden.mjs": `import assert from "node:assert/strict";\nimport * as m from "./${file}";\n${asserts.trim()}\n`,
    },
    test: tsTest,
    target: file,
    solution,
  };
}

export const builtinTasks: BuiltinTask[] = [
  py(
    "py-fix-off-by-one",
    "ranges.py",
    "Fix inclusive_range so that it includes the upper bound `stop`.",
    "def inclusive_range(start, stop):\n    return list(range(start, stop))\n",
    "def inclusive_range(start, stop):\n    return list(range(start, stop + 1))\n",
    "assert inclusive_range(1, 3) == [1, 2, 3]\nassert inclusive_range(5, 5) == [5]",
  ),
  py(
    "py-add-default-arg",
    "greet.py",
    "Give greet a keyword argument `greeting` defaulting to 'Hello', used instead of the fixed word.",
    'def greet(name):\n    return "Hello, " + name + "!"\n',
    'def greet(name, greeting="Hello"):\n    return greeting + ", " + name + "!"\n',
    'assert greet("Ann") == "Hello, Ann!"\nassert greet("Bo", greeting="Hi") == "Hi, Bo!"',
  ),
  py(
    "py-handle-empty",
    "stats.py",
    "Make mean return None for an empty list instead of raising.",
    "def mean(values):\n    return sum(values) / len(values)\n",
    "def mean(values):\n    if not values:\n        return None\n    return sum(values) / len(values)\n",
    "assert mean([]) is None\nassert mean([1, 2, 3]) == 2",
  ),
  py(
    "py-new-function",
    "text.py",
    "Add a function `count_words(text)` returning the number of whitespace-separated words.",
    "def shout(text):\n    return text.upper()\n",
    "def shout(text):\n    return text.upper()\n\n\ndef count_words(text):\n    return len(text.split())\n",
    'assert count_words("a b  c") == 3\nassert count_words("") == 0\nassert shout("x") == "X"',
  ),
  py(
    "py-rename-function",
    "calc.py",
    "Rename the function `add_nums` to `add`; keep its behaviour.",
    "def add_nums(a, b):\n    return a + b\n",
    "def add(a, b):\n    return a + b\n",
    'assert add(2, 3) == 5\nassert "add_nums" not in globals()',
  ),
  py(
    "py-fix-comparison",
    "grades.py",
    "A score of exactly 50 must pass: fix is_pass.",
    "def is_pass(score):\n    return score > 50\n",
    "def is_pass(score):\n    return score >= 50\n",
    "assert is_pass(50)\nassert is_pass(51)\nassert not is_pass(49)",
  ),
  py(
    "py-dict-get",
    "config.py",
    "Make get_port return 8080 when the 'port' key is missing instead of raising KeyError.",
    'def get_port(settings):\n    return settings["port"]\n',
    'def get_port(settings):\n    return settings.get("port", 8080)\n',
    'assert get_port({}) == 8080\nassert get_port({"port": 1}) == 1',
  ),
  py(
    "py-strip-input",
    "names.py",
    "normalize_name must also strip leading and trailing whitespace.",
    "def normalize_name(name):\n    return name.lower()\n",
    "def normalize_name(name):\n    return name.strip().lower()\n",
    'assert normalize_name("  Ann ") == "ann"',
  ),
  py(
    "py-class-method",
    "counter.py",
    "Add a method `reset()` to Counter that sets the count back to 0.",
    "class Counter:\n    def __init__(self):\n        self.count = 0\n\n    def increment(self):\n        self.count += 1\n",
    "class Counter:\n    def __init__(self):\n        self.count = 0\n\n    def increment(self):\n        self.count += 1\n\n    def reset(self):\n        self.count = 0\n",
    "c = Counter()\nc.increment()\nc.increment()\nc.reset()\nassert c.count == 0\nc.increment()\nassert c.count == 1",
  ),
  py(
    "py-raise-error",
    "bank.py",
    "withdraw must raise ValueError when amount exceeds the balance (and leave the balance unchanged).",
    "def withdraw(balance, amount):\n    return balance - amount\n",
    'def withdraw(balance, amount):\n    if amount > balance:\n        raise ValueError("insufficient funds")\n    return balance - amount\n',
    "assert withdraw(10, 3) == 7\ntry:\n    withdraw(1, 2)\n    raise SystemExit('no error')\nexcept ValueError:\n    pass",
  ),
  py(
    "py-dedupe-order",
    "lists.py",
    "unique must keep the order of first appearance.",
    "def unique(items):\n    return list(set(items))\n",
    "def unique(items):\n    seen = set()\n    out = []\n    for item in items:\n        if item not in seen:\n            seen.add(item)\n            out.append(item)\n    return out\n",
    'assert unique([3, 1, 3, 2, 1]) == [3, 1, 2]\nassert unique(["b", "a", "b"]) == ["b", "a"]',
  ),
  py(
    "py-fizzbuzz-fix",
    "fizz.py",
    "fizzbuzz must return 'FizzBuzz' for multiples of both 3 and 5.",
    'def fizzbuzz(n):\n    if n % 3 == 0:\n        return "Fizz"\n    if n % 5 == 0:\n        return "Buzz"\n    return str(n)\n',
    'def fizzbuzz(n):\n    if n % 15 == 0:\n        return "FizzBuzz"\n    if n % 3 == 0:\n        return "Fizz"\n    if n % 5 == 0:\n        return "Buzz"\n    return str(n)\n',
    'assert fizzbuzz(15) == "FizzBuzz"\nassert fizzbuzz(9) == "Fizz"\nassert fizzbuzz(10) == "Buzz"\nassert fizzbuzz(7) == "7"',
  ),
  py(
    "py-clamp",
    "mathx.py",
    "Add a function `clamp(value, low, high)` returning value limited to the range [low, high].",
    "def square(x):\n    return x * x\n",
    "def square(x):\n    return x * x\n\n\ndef clamp(value, low, high):\n    return max(low, min(high, value))\n",
    "assert clamp(5, 0, 3) == 3\nassert clamp(-1, 0, 3) == 0\nassert clamp(2, 0, 3) == 2",
  ),
  py(
    "py-sort-key",
    "people.py",
    "by_age must sort people (dicts) by their 'age' ascending, not by name.",
    'def by_age(people):\n    return sorted(people, key=lambda p: p["name"])\n',
    'def by_age(people):\n    return sorted(people, key=lambda p: p["age"])\n',
    'ps = [{"name": "a", "age": 3}, {"name": "b", "age": 1}]\nassert [p["name"] for p in by_age(ps)] == ["b", "a"]',
  ),
  py(
    "py-parse-int-safe",
    "parse.py",
    "to_int must return the given default (keyword `default`, None if not given) for text that is not an integer.",
    "def to_int(text):\n    return int(text)\n",
    "def to_int(text, default=None):\n    try:\n        return int(text)\n    except ValueError:\n        return default\n",
    'assert to_int("12") == 12\nassert to_int("x") is None\nassert to_int("x", default=0) == 0',
  ),
  py(
    "py-slugify",
    "slug.py",
    "slugify must replace runs of spaces with a single '-' and lowercase the text.",
    'def slugify(title):\n    return title.replace(" ", "-")\n',
    'def slugify(title):\n    return "-".join(title.lower().split())\n',
    'assert slugify("Hello  World") == "hello-world"\nassert slugify("A b") == "a-b"',
  ),
  ts(
    "ts-fix-off-by-one",
    "range.ts",
    "Fix inclusiveRange so that it includes the upper bound `stop`.",
    "export function inclusiveRange(start: number, stop: number): number[] {\n  const out: number[] = [];\n  for (let i = start; i < stop; i++) out.push(i);\n  return out;\n}\n",
    "export function inclusiveRange(start: number, stop: number): number[] {\n  const out: number[] = [];\n  for (let i = start; i <= stop; i++) out.push(i);\n  return out;\n}\n",
    "assert.deepEqual(m.inclusiveRange(1, 3), [1, 2, 3]);\nassert.deepEqual(m.inclusiveRange(2, 2), [2]);",
  ),
  ts(
    "ts-default-param",
    "greet.ts",
    "Give greet an optional second parameter `greeting` defaulting to 'Hello', used instead of the fixed word.",
    "export function greet(name: string): string {\n  return 'Hello, ' + name + '!';\n}\n",
    'export function greet(name: string, greeting = "Hello"): string {\n  return greeting + ", " + name + "!";\n}\n',
    'assert.equal(m.greet("Ann"), "Hello, Ann!");\nassert.equal(m.greet("Bo", "Hi"), "Hi, Bo!");',
  ),
  ts(
    "ts-empty-average",
    "stats.ts",
    "average must return undefined for an empty array.",
    "export function average(values: number[]): number | undefined {\n  return values.reduce((a, b) => a + b, 0) / values.length;\n}\n",
    "export function average(values: number[]): number | undefined {\n  if (values.length === 0) return undefined;\n  return values.reduce((a, b) => a + b, 0) / values.length;\n}\n",
    "assert.equal(m.average([]), undefined);\nassert.equal(m.average([2, 4]), 3);",
  ),
  ts(
    "ts-new-export",
    "text.ts",
    "Add an exported function `capitalize(s: string): string` that upper-cases the first character.",
    "export function shout(s: string): string {\n  return s.toUpperCase();\n}\n",
    "export function shout(s: string): string {\n  return s.toUpperCase();\n}\n\nexport function capitalize(s: string): string {\n  return s.charAt(0).toUpperCase() + s.slice(1);\n}\n",
    'assert.equal(m.capitalize("hello"), "Hello");\nassert.equal(m.capitalize(""), "");\nassert.equal(m.shout("a"), "A");',
  ),
  ts(
    "ts-rename-export",
    "calc.ts",
    "Rename the exported function `addNums` to `add`; keep its behaviour.",
    "export function addNums(a: number, b: number): number {\n  return a + b;\n}\n",
    "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
    'assert.equal(m.add(2, 3), 5);\nassert.equal("addNums" in m, false);',
  ),
  ts(
    "ts-fix-comparison",
    "grades.ts",
    "A score of exactly 50 must pass: fix isPass.",
    "export function isPass(score: number): boolean {\n  return score > 50;\n}\n",
    "export function isPass(score: number): boolean {\n  return score >= 50;\n}\n",
    "assert.equal(m.isPass(50), true);\nassert.equal(m.isPass(49), false);",
  ),
  ts(
    "ts-nullish-default",
    "config.ts",
    "getPort must return 8080 when settings.port is undefined (but keep 0 when it is 0).",
    "export function getPort(settings: { port?: number }): number | undefined {\n  return settings.port;\n}\n",
    "export function getPort(settings: { port?: number }): number {\n  return settings.port ?? 8080;\n}\n",
    "assert.equal(m.getPort({}), 8080);\nassert.equal(m.getPort({ port: 0 }), 0);",
  ),
  ts(
    "ts-trim-name",
    "names.ts",
    "normalizeName must also trim leading and trailing whitespace.",
    "export function normalizeName(name: string): string {\n  return name.toLowerCase();\n}\n",
    "export function normalizeName(name: string): string {\n  return name.trim().toLowerCase();\n}\n",
    'assert.equal(m.normalizeName("  Ann "), "ann");',
  ),
  ts(
    "ts-class-method",
    "counter.ts",
    "Add a method `reset(): void` to Counter that sets count back to 0.",
    "export class Counter {\n  count = 0;\n  increment(): void {\n    this.count += 1;\n  }\n}\n",
    "export class Counter {\n  count = 0;\n  increment(): void {\n    this.count += 1;\n  }\n  reset(): void {\n    this.count = 0;\n  }\n}\n",
    "const c = new m.Counter();\nc.increment();\nc.reset();\nassert.equal(c.count, 0);\nc.increment();\nassert.equal(c.count, 1);",
  ),
  ts(
    "ts-throw-error",
    "bank.ts",
    "withdraw must throw a RangeError when amount exceeds balance.",
    "export function withdraw(balance: number, amount: number): number {\n  return balance - amount;\n}\n",
    'export function withdraw(balance: number, amount: number): number {\n  if (amount > balance) throw new RangeError("insufficient funds");\n  return balance - amount;\n}\n',
    "assert.equal(m.withdraw(10, 3), 7);\nassert.throws(() => m.withdraw(1, 2), RangeError);",
  ),
  ts(
    "ts-unique-order",
    "lists.ts",
    "unique must keep the order of first appearance (it currently sorts).",
    "export function unique<T>(items: T[]): T[] {\n  return [...new Set(items)].sort();\n}\n",
    "export function unique<T>(items: T[]): T[] {\n  return [...new Set(items)];\n}\n",
    'assert.deepEqual(m.unique([3, 1, 3, 2, 1]), [3, 1, 2]);\nassert.deepEqual(m.unique(["b", "a", "b"]), ["b", "a"]);',
  ),
  ts(
    "ts-fizzbuzz-fix",
    "fizz.ts",
    "fizzbuzz must return 'FizzBuzz' for multiples of both 3 and 5.",
    'export function fizzbuzz(n: number): string {\n  if (n % 3 === 0) return "Fizz";\n  if (n % 5 === 0) return "Buzz";\n  return String(n);\n}\n',
    'export function fizzbuzz(n: number): string {\n  if (n % 15 === 0) return "FizzBuzz";\n  if (n % 3 === 0) return "Fizz";\n  if (n % 5 === 0) return "Buzz";\n  return String(n);\n}\n',
    'assert.equal(m.fizzbuzz(30), "FizzBuzz");\nassert.equal(m.fizzbuzz(6), "Fizz");\nassert.equal(m.fizzbuzz(7), "7");',
  ),
  ts(
    "ts-clamp",
    "mathx.ts",
    "Add an exported function `clamp(value: number, low: number, high: number): number` limiting value to [low, high].",
    "export function square(x: number): number {\n  return x * x;\n}\n",
    "export function square(x: number): number {\n  return x * x;\n}\n\nexport function clamp(value: number, low: number, high: number): number {\n  return Math.max(low, Math.min(high, value));\n}\n",
    "assert.equal(m.clamp(5, 0, 3), 3);\nassert.equal(m.clamp(-1, 0, 3), 0);\nassert.equal(m.clamp(2, 0, 3), 2);",
  ),
  ts(
    "ts-sort-numeric",
    "sorting.ts",
    "sortNumbers must sort numerically ascending (the default sort compares strings) and not modify its input.",
    "export function sortNumbers(values: number[]): number[] {\n  return values.sort();\n}\n",
    "export function sortNumbers(values: number[]): number[] {\n  return [...values].sort((a, b) => a - b);\n}\n",
    "const input = [10, 9, 1];\nassert.deepEqual(m.sortNumbers(input), [1, 9, 10]);\nassert.deepEqual(input, [10, 9, 1]);",
  ),
  ts(
    "ts-parse-int-safe",
    "parse.ts",
    "toInt must return `fallback` (an optional second parameter, default undefined) when the text is not an integer.",
    "export function toInt(text: string): number {\n  return Number.parseInt(text, 10);\n}\n",
    "export function toInt(text: string, fallback?: number): number | undefined {\n  const value = Number.parseInt(text, 10);\n  return Number.isNaN(value) ? fallback : value;\n}\n",
    'assert.equal(m.toInt("12"), 12);\nassert.equal(m.toInt("x"), undefined);\nassert.equal(m.toInt("x", 0), 0);',
  ),
  ts(
    "ts-slugify",
    "slug.ts",
    "slugify must lowercase the text and replace runs of whitespace with a single '-'.",
    'export function slugify(title: string): string {\n  return title.replace(" ", "-");\n}\n',
    'export function slugify(title: string): string {\n  return title.toLowerCase().trim().split(/\\s+/).join("-");\n}\n',
    'assert.equal(m.slugify("Hello  World"), "hello-world");\nassert.equal(m.slugify("A b c"), "a-b-c");',
  ),
];
