import { describe, expect, it } from "vitest";
import { demultiplex, type Frame } from "../../sandbox/docker/demux.js";

function frame(type: number, text: string): Buffer {
  const body = Buffer.from(text, "utf8");
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

async function* chunks(...parts: Buffer[]) {
  yield* parts;
}

async function all(source: AsyncIterable<Buffer>): Promise<{ stream: Frame["stream"]; text: string }[]> {
  const frames = [];
  for await (const { stream, data } of demultiplex(source)) frames.push({ stream, text: data.toString("utf8") });
  return frames;
}

describe("docker stream demultiplexing", () => {
  it("splits frames that arrive together and frames split across chunks at any byte", async () => {
    const wire = Buffer.concat([frame(1, "out one\n"), frame(2, "err\n"), frame(1, "ünïcode\n"), frame(3, "engine error\n")]);
    const expected = [
      { stream: "stdout", text: "out one\n" },
      { stream: "stderr", text: "err\n" },
      { stream: "stdout", text: "ünïcode\n" },
      { stream: "stderr", text: "engine error\n" },
    ];
    expect(await all(chunks(wire))).toEqual(expected);
    for (let cut = 1; cut < wire.length; cut += 1) {
      expect(await all(chunks(wire.subarray(0, cut), wire.subarray(cut)))).toEqual(expected);
    }
    expect(await all(chunks(...[...wire].map((byte) => Buffer.from([byte]))))).toEqual(expected);
  });

  it("fails when the stream ends inside a frame", async () => {
    const truncated = frame(1, "cut short").subarray(0, 12);
    await expect(all(chunks(truncated))).rejects.toThrow(/ended inside a frame/);
  });
});
