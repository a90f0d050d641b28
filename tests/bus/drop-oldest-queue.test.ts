import { describe, expect, it } from "vitest";
import { DropOldestQueue } from "../../services/control-plane/bus/drop-oldest-queue.js";

async function drain(queue: DropOldestQueue<number>, count: number): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const next = await queue.next();
    if (next.done) break;
    values.push(next.value);
  }
  return values;
}

describe("DropOldestQueue", () => {
  it("keeps order and the newest items across many drops and compactions", async () => {
    const queue = new DropOldestQueue<number>(3_000);
    for (let i = 0; i < 5_000; i++) queue.push(i);
    expect(queue.dropped).toBe(2_000);
    expect(queue.size).toBe(3_000);
    const firstHalf = await drain(queue, 1_500);
    for (let i = 5_000; i < 6_000; i++) queue.push(i);
    const rest = await drain(queue, 2_500);
    expect([...firstHalf, ...rest]).toEqual(Array.from({ length: 4_000 }, (_, i) => 2_000 + i));
    expect(queue.size).toBe(0);
  });

  it("hands an item straight to a waiting reader", async () => {
    const queue = new DropOldestQueue<number>(1);
    const waiting = queue.next();
    queue.push(1);
    queue.push(2);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    expect(queue.dropped).toBe(0);
  });

  it("end() lets buffered items be read first; close() discards them", async () => {
    const ending = new DropOldestQueue<number>(10);
    ending.push(1);
    ending.push(2);
    ending.end();
    ending.push(3);
    expect(await drain(ending, 10)).toEqual([1, 2]);

    const closing = new DropOldestQueue<number>(10);
    closing.push(1);
    const waiting = new DropOldestQueue<number>(10);
    const pending = waiting.next();
    closing.close();
    waiting.close();
    expect(await closing.next()).toEqual({ value: undefined, done: true });
    expect(await pending).toEqual({ value: undefined, done: true });
  });
});
