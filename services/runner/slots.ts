/** At most `size` jobs at once: acquire waits for a free slot (or the signal), release frees one. */
export interface Slots {
  acquire(signal: AbortSignal): Promise<boolean>;
  release(): void;
  readonly busy: number;
}

export function slots(size: number): Slots {
  let busy = 0;
  const waiting: (() => void)[] = [];
  return {
    async acquire(signal) {
      while (busy >= size) {
        if (signal.aborted) return false;
        await new Promise<void>((resolve) => {
          const wake = () => {
            signal.removeEventListener("abort", wake);
            const index = waiting.indexOf(wake);
            if (index >= 0) waiting.splice(index, 1);
            resolve();
          };
          waiting.push(wake);
          signal.addEventListener("abort", wake, { once: true });
        });
      }
      if (signal.aborted) return false;
      busy += 1;
      return true;
    },
    release() {
      busy -= 1;
      waiting.shift()?.();
    },
    get busy() {
      return busy;
    },
  };
}
