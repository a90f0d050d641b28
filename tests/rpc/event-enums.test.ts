import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorCode, ErrorCodeSchema, MergeStrategy, MergeStrategySchema, StoreKind, StoreKindSchema } from "../../gen/pushpals/v1/kinds_pb.js";
import { errorCodeOf } from "../../shared/errors.js";
import { enumWord } from "../../shared/text/enum-word.js";

describe("event enums", () => {
  it("every Connect code has the ErrorCode of the same name and number", () => {
    const codes = Object.values(Code).filter((value): value is Code => typeof value === "number");
    expect(codes.length).toBe(16);
    for (const code of codes) {
      // Looked up by name: equal numbers prove each name was found (only Unknown maps to UNKNOWN, 2).
      expect(Number(errorCodeOf(code)), Code[code]).toBe(Number(code));
    }
    expect(errorCodeOf(Code.FailedPrecondition)).toBe(ErrorCode.FAILED_PRECONDITION);
  });

  it("prints an enum value as a word, and a value it does not declare as its number", () => {
    expect(enumWord(ErrorCodeSchema, ErrorCode.FAILED_PRECONDITION)).toBe("failed_precondition");
    expect(enumWord(MergeStrategySchema, MergeStrategy.NO_FF, "-")).toBe("no-ff");
    expect(enumWord(StoreKindSchema, StoreKind.SQLITE)).toBe("sqlite");
    expect(enumWord(StoreKindSchema, 42 as StoreKind)).toBe("42");
  });
});
