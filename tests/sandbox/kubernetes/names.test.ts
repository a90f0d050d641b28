import { describe, expect, it } from "vitest";
import { labelValue, ownerSelector, podName } from "../../../sandbox/kubernetes/names.js";

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe("kubernetes names", () => {
  it("keeps a valid label value as it is", () => {
    expect(labelValue("job_01HZX3K5Q8W2E4R6T8Y0U2I4O6")).toBe("job_01HZX3K5Q8W2E4R6T8Y0U2I4O6");
    expect(labelValue("runner-1.example")).toBe("runner-1.example");
  });

  it("sanitises other values to label syntax, keeping distinct values distinct", () => {
    const long = `runner-${"x".repeat(80)}`;
    const samePrefix = `runner-${"x".repeat(80)}y`;
    for (const raw of [long, samePrefix, "-leading", "trailing.", "with space", "ünïcode", "___"]) {
      const value = labelValue(raw);
      expect(value.length, raw).toBeLessThanOrEqual(63);
      expect(value, raw).toMatch(LABEL_VALUE);
      expect(value, raw).not.toBe("");
    }
    expect(labelValue(long)).not.toBe(labelValue(samePrefix));
    expect(labelValue("with space")).toMatch(/^with-space-[0-9a-f]{8}$/);
    expect(labelValue("___")).toMatch(/^[0-9a-f]{8}$/);
  });

  it("selects an owner's sandbox pods by every identifying label", () => {
    expect(ownerSelector("w1")).toBe("app.kubernetes.io/managed-by=pushpals,app.kubernetes.io/component=sandbox,pushpals.owner=w1");
  });

  it("names pods as unique DNS labels", () => {
    const a = podName("job_01HZX3K5Q8W2E4R6T8Y0U2I4O6");
    const b = podName("job_01HZX3K5Q8W2E4R6T8Y0U2I4O6");
    expect(a).toMatch(/^pushpals-job-01hzx3k5q8w2e4r6t8y0u2i4o6-[0-9a-f]{6}$/);
    expect(a).not.toBe(b);
    const long = podName(`Job.${"A".repeat(120)}`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
