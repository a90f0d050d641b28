import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface AnnouncementOptions {
  /** Names the process in errors, e.g. "pushpals up". */
  what: string;
  timeoutMs: number;
  /** The line that says it is ready; its first group (else the whole line) is the answer. */
  pattern?: RegExp;
  /** Sees every stdout line, before and after the announcement. */
  onLine?: (line: string) => void;
}

/**
 * What a starting pushpals process announces on stdout ("… listening on http://…"), once it
 * does; rejects when the process exits first or says nothing in time.
 */
export function announcedUrl(child: ChildProcess, options: AnnouncementOptions): Promise<string> {
  const pattern = options.pattern ?? /listening on (http:\/\/\S+)/;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.what} did not announce its URL within ${options.timeoutMs / 1000} s`)), options.timeoutMs);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      options.onLine?.(line);
      const match = pattern.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] ?? line);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.what} exited with ${String(code)} before it was ready`));
    });
  });
}
