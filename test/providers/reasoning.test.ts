import { describe, expect, it } from "vitest";
import { splitReasoning } from "../../src/providers/reasoning.js";

const trial = "<<<<<<< SEARCH\na = 1\n=======\na = 2\n>>>>>>> REPLACE";

describe("splitReasoning", () => {
  it.each([
    ["no reasoning", "just the answer", "just the answer", ""],
    [
      "a <think> block",
      '<think>\nhmm {"action":"accept"}\n</think>\n\n{"action":"revise"}',
      '{"action":"revise"}',
      'hmm {"action":"accept"}',
    ],
    [
      "<thinking> and <reasoning> blocks",
      "<thinking>a</thinking><reasoning>b</reasoning>answer",
      "answer",
      "a\n\nb",
    ],
    [
      "an answer after a lone </think>",
      `Let me try:\n${trial}\nNo.\n</think>\n\nreal answer`,
      "real answer",
      `Let me try:\n${trial}\nNo.`,
    ],
    ["a closing tag on its own at the end of a line", "thinking...</think>\nanswer", "answer", "thinking..."],
    ["an unclosed <think> (cut off while thinking)", "<think>still thinking", "", "still thinking"],
    [
      "harmony channels",
      "<|channel|>analysis<|message|>sketch {}<|end|><|start|>assistant<|channel|>final<|message|>the answer<|return|>",
      "the answer",
      "sketch {}",
    ],
    [
      "harmony with the special tokens rendered as nothing",
      "analysisWe need x.assistantfinalthe answer",
      "the answer",
      "We need x.",
    ],
  ])("%s", (_name, text, answer, reasoning) => {
    expect(splitReasoning(text)).toEqual({ answer, reasoning });
  });

  it.each([
    ["a file that quotes the tags in code", 'const close = "</think>";\nconst open = "<think>";'],
    ["an XML file with its own <reasoning> element", "<doc>\n<reasoning>x</reasoning>\n</doc>"],
    ["a tag in the middle of prose", "The model writes <think> first."],
  ])("leaves %s alone", (_name, text) => {
    expect(splitReasoning(text)).toEqual({ answer: text, reasoning: "" });
  });

  it("is idempotent", () => {
    const once = splitReasoning("<think>x</think>\ny");
    expect(splitReasoning(once.answer)).toEqual({ answer: once.answer, reasoning: "" });
  });
});
