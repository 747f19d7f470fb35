import { describe, expect, it } from "vitest";
import { Parser } from "web-tree-sitter";
import { queryDefinitions } from "../../src/repo/extract.js";
import { loadGrammar } from "../../src/repo/grammars.js";
import { pythonDefinitions } from "../../src/repo/python-definitions.js";

/** Everything the Python tags patterns care about, including places a pruned walk could miss. */
const source = `
import os
LIMIT = 10
a = b = 3
x, y = 1, 2
if os.name == "nt":
    WINDOWS_ONLY = True
    def windows_helper():
        pass
else:
    class PosixThing:
        pass

@decorator
def decorated(arg):
    def inner():
        class InnerClass:
            inner_field = 1
        return InnerClass
    return inner

class Outer(Base, metaclass=Meta):
    field_one = 1
    field_two: int = 2
    if True:
        not_a_field = 3
    @property
    def value(self):
        return self._value
    class Nested:
        deep = "x"
        async def run(self):
            try:
                def in_try():
                    pass
            except ValueError:
                def in_except():
                    pass
            finally:
                def in_finally():
                    pass
            with open("f") as handle:
                def in_with():
                    pass
            for item in []:
                def in_for():
                    pass
            while False:
                def in_while():
                    pass
            match item:
                case 1:
                    def in_case():
                        pass

def broken(:
    pass

def after_error():
    value = lambda: 1
    return value
`;

describe("Python statement walk", () => {
  it("finds exactly what the tags query finds", async () => {
    const expected = await queryDefinitions("python", source);
    const grammar = await loadGrammar("python");
    const parser = new Parser();
    parser.setLanguage(grammar);
    const tree = parser.parse(source);
    if (!tree) throw new Error("no tree");
    const walked = pythonDefinitions(tree.rootNode, grammar)
      .map((definition) => ({
        kind: definition.kind,
        name: definition.name,
        start: definition.node.startIndex,
        end: definition.node.endIndex,
      }))
      .sort((a, b) => a.start - b.start || b.end - a.end);
    tree.delete();
    expect(walked).toEqual(expected);
    const names = walked.map((definition) => definition.name);
    for (const name of ["LIMIT", "a", "windows_helper", "PosixThing", "inner_field", "field_two", "in_case"])
      expect(names).toContain(name);
    expect(names).not.toContain("not_a_field");
    expect(names).not.toContain("WINDOWS_ONLY");
  });
});
