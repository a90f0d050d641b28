import { describe, expect, it } from "vitest";
import { logProblems, repeatedKeys, topLevelKeys } from "./json-log.js";

describe("top-level keys of a JSON log line", () => {
  it("lists keys in order with repeats, skipping nested objects, arrays and string contents", () => {
    const line = '{"level":30,"service":"pushpals","err":{"service":"x","stack":"a \\"b\\": c"},"tags":["d",{"e":1}],"msg":"k\\":v","service":"runner"}';
    expect(topLevelKeys(line)).toEqual(["level", "service", "err", "tags", "msg", "service"]);
    expect(repeatedKeys(line)).toEqual(["service"]);
    expect(repeatedKeys('{"a":1,"b":{"a":2}}')).toEqual([]);
  });

  it("names repeated keys and work lines without a session; other lines and prose pass", () => {
    const lines = [
      '{"jobId":"job_1","sessionId":"ses_1","msg":"fine"}',
      '{"msg":"no work named, no session needed"}',
      "a note for a person",
      '{"completionId":"cmp_1","msg":"whose?"}',
      '{"service":"a","service":"b","msg":"twice"}',
    ];
    expect(logProblems(lines)).toEqual([`completionId without sessionId in ${lines[3]}`, `service twice in ${lines[4]}`]);
  });
});
