import { describe, expect, it } from "vitest";
import { Headers as LightHeaders } from "../../cli/startup/light-headers.js";

// The bundled client's Headers must behave as Node's (undici's) for everything connect does with one.
type AnyHeaders = LightHeaders | Headers;
const both = (init?: [string, string][] | Record<string, string>): [AnyHeaders, AnyHeaders] => [new LightHeaders(init), new Headers(init)];
const listed = (headers: AnyHeaders) => [...headers];

describe("the bundle's light Headers", () => {
  it("lists lower-cased names in sorted order with combined values, as Node's does", () => {
    const pairs: [string, string][] = [
      ["Content-Type", "application/proto"],
      ["x-b", " one "],
      ["X-A", "1"],
      ["x-b", "two\t"],
      ["Set-Cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["grpc-status", "0"],
    ];
    const [light, node] = both(pairs);
    expect(listed(light)).toEqual(listed(node));
    expect([...light.keys()]).toEqual([...node.keys()]);
    expect([...light.values()]).toEqual([...node.values()]);
    for (const name of ["x-b", "X-B", "set-cookie", "missing", "content-type"]) {
      expect(light.get(name)).toBe(node.get(name));
      expect(light.has(name)).toBe(node.has(name));
    }
    expect(light.getSetCookie()).toEqual(node.getSetCookie());
    const seen: [string, string][][] = [[], []];
    light.forEach((value, name) => seen[0]!.push([name, value]));
    node.forEach((value, name) => seen[1]!.push([name, value]));
    expect(seen[0]).toEqual(seen[1]);
  });

  it("sets, deletes and copies like Node's, from a record, pairs or another Headers", () => {
    const [light, node] = both({ Authorization: "Bearer t", "Connect-Timeout-Ms": "15000" });
    for (const headers of [light, node]) {
      headers.set("authorization", "Bearer u");
      headers.append("accept-encoding", "gzip");
      headers.delete("CONNECT-TIMEOUT-MS");
      headers.set("set-cookie", "c=3");
    }
    expect(listed(light)).toEqual(listed(node));
    expect(listed(new LightHeaders(light))).toEqual(listed(new Headers(node)));
    expect(Object.prototype.toString.call(light)).toBe(Object.prototype.toString.call(node));
  });

  it("refuses the names and values Node's refuses", () => {
    for (const [name, value] of [
      ["bad name", "v"],
      ["", "v"],
      ["ok", "a\nb"],
      ["ok", "a\0b"],
      ["ok", "a\rb"],
    ] as [string, string][]) {
      expect(() => new Headers([[name, value]])).toThrow(TypeError);
      expect(() => new LightHeaders([[name, value]])).toThrow(TypeError);
    }
    expect(() => new LightHeaders([["a", "b", "c"] as unknown as [string, string]])).toThrow(TypeError);
  });
});
