import { describe, expect, it } from "vitest";
import { extractJson } from "../../shared/llm/json-extract.js";

describe("extractJson", () => {
  it.each([
    ["bare JSON", ' {"a": 1} ', { a: 1 }],
    ["a bare array", "[1, 2]", [1, 2]],
    ["a fence without a language", 'Here:\n```\n{"a": 2}\n```', { a: 2 }],
    ["the first of two fences", '```json\n{"a": 3}\n```\nor\n```json\n{"a": 4}\n```', { a: 3 }],
    ["an object in prose", 'I propose {"a": {"b": "}"}} as the answer.', { a: { b: "}" } }],
    ["escaped quotes in strings", 'x {"a": "say \\"{hi\\"", "b": 1} y', { a: 'say "{hi"', b: 1 }],
    ["the first object that parses", 'use {not json} then {"a": 5}', { a: 5 }],
  ])("finds %s", (_name, text, expected) => {
    expect(extractJson(text)).toEqual({ ok: true, value: expected });
  });

  it("says when there is no JSON at all", () => {
    expect(extractJson("no braces here")).toEqual({ ok: false, error: "the reply contains no JSON object" });
  });

  it("names the parse problem of the first candidate", () => {
    const result = extractJson('{"a": 1,');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/^the reply's JSON does not parse \(.+\)$/);
  });
});
