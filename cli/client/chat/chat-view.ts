import type { EventView } from "./event-line.js";

/** Where chat output goes: permanent lines, plus each item's live progress. */
export interface ChatView {
  /** A permanent line. */
  line(text: string): void;
  /** An event's line and/or progress. */
  show(view: EventView): void;
  /** Leaves the output tidy (no spinner left behind). */
  close(): void;
}

/**
 * Output for pipes, files and CI logs: every line as it comes, no cursor movement.
 * Progress shows as its own line only when the event had no line of its own, only
 * when it changed, and never for transient updates (log lines).
 */
export class PlainView implements ChatView {
  private readonly lastProgress = new Map<string, string>();

  constructor(private readonly out: NodeJS.WritableStream) {}

  line(text: string): void {
    this.out.write(`${text}\n`);
  }

  show(view: EventView): void {
    const progress = view.progress;
    if (view.line !== undefined) this.line(view.line);
    if (!progress || progress.transient) return;
    if (progress.text === undefined) {
      this.lastProgress.delete(progress.key);
      return;
    }
    if (view.line === undefined && this.lastProgress.get(progress.key) !== progress.text) this.line(`  ${progress.text}`);
    this.lastProgress.set(progress.key, progress.text);
  }

  close(): void {}
}
