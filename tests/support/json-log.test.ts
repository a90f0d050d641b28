import { describe, expect, it } from "vitest";
import { repeatedKeys, topLevelKeys } from "./json-log.js";

describe("top-level keys of a JSON log line", () => {
  it("lists keys in order with repeats, skipping nested objects, arrays and string contents", () => {
    const line = '{"level":30,"service":"pushpals","err":{"service":"x","stack":"a \\"b\\": c"},"tags":["d",{"e":1}],"msg":"k\\":v","service":"runner"}';
    expect(topLevelKeys(line)).toEqual(["level", "service", "err", "tags", "msg", "service"]);
    expect(repeatedKeys(line)).toEqual(["service"]);
    expect(repeatedKeys('{"a":1,"b":{"a":2}}')).toEqual([]);
  });
});
