import { clearLine, clearScreenDown, cursorTo, moveCursor, type Interface } from "node:readline";
import { stripVTControlCharacters } from "node:util";
import { oneLine } from "../format.js";
import type { Style } from "../style.js";
import type { ChatView } from "./chat-view.js";
import type { EventView } from "./event-line.js";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const TICK_MS = 120;

/**
 * Output for a terminal: permanent lines scroll up; below them one status line shows
 * the newest running item with a spinner, and below that (in a chat) the prompt with
 * whatever the person is typing, redrawn intact after every line printed.
 *
 * Hand-written rather than a spinner library: the status line has to share the bottom
 * of the screen with readline's prompt, which none of them handle.
 */
export class TerminalView implements ChatView {
  /** Running items' progress, oldest first; the newest is the one shown. */
  private readonly running = new Map<string, string>();
  private statusShown = false;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly style: Style,
    private prompt?: Interface,
  ) {}

  line(text: string): void {
    this.clearBottom();
    this.out.write(`${text}\n`);
    this.drawBottom();
  }

  show(view: EventView): void {
    const progress = view.progress;
    const wasRunning = this.running.size > 0;
    if (progress) {
      this.running.delete(progress.key);
      if (progress.text !== undefined) this.running.set(progress.key, progress.text);
    }
    if (view.line !== undefined) this.line(view.line);
    // A busy job's log can run to thousands of lines a second: those wait for the next spinner tick.
    else if (progress?.transient && wasRunning) return;
    else if (progress && wasRunning && this.running.size > 0) this.redrawStatus();
    else if (progress) this.redraw();
  }

  /**
   * After Enter: readline has moved below the typed line. Reprint it as a permanent
   * line above the status line, so the conversation reads in order.
   */
  submitted(typed: string): void {
    const rows = this.rowsOf(typed) + (this.statusShown ? 1 : 0);
    moveCursor(this.out, 0, -rows);
    cursorTo(this.out, 0);
    clearScreenDown(this.out);
    this.statusShown = false;
    this.out.write(`${typed}\n`);
    this.drawBottom();
  }

  /** The prompt is gone (Ctrl-D, /quit): whatever still prints goes above no prompt. */
  endPrompt(): void {
    if (!this.prompt) return;
    this.clearBottom();
    this.prompt = undefined;
    this.drawBottom();
  }

  close(): void {
    this.stopSpinner();
    this.clearBottom();
  }

  private redraw(): void {
    this.clearBottom();
    this.drawBottom();
  }

  /** Rewrites only the status line, leaving the prompt and its cursor alone. */
  private redrawStatus(): void {
    if (!this.statusShown) return this.redraw();
    const up = this.prompt ? this.prompt.getCursorPos().rows + 1 : 0;
    this.out.write("\u001b7");
    moveCursor(this.out, 0, -up);
    cursorTo(this.out, 0);
    clearLine(this.out, 0);
    this.out.write(this.statusText());
    this.out.write("\u001b8");
  }

  private clearBottom(): void {
    const up = this.prompt ? this.prompt.getCursorPos().rows + (this.statusShown ? 1 : 0) : 0;
    if (up > 0) moveCursor(this.out, 0, -up);
    cursorTo(this.out, 0);
    clearScreenDown(this.out);
    this.statusShown = false;
  }

  private drawBottom(): void {
    if (this.running.size > 0) {
      this.out.write(this.statusText());
      if (this.prompt) this.out.write("\n");
      this.statusShown = true;
      this.startSpinner();
    } else {
      this.stopSpinner();
    }
    if (this.prompt) this.drawPrompt(this.prompt);
  }

  private statusText(): string {
    const newest = [...this.running.values()].at(-1) ?? "";
    const more = this.running.size > 1 ? ` (+${this.running.size - 1} more)` : "";
    const width = Math.max(20, (this.out.columns || 80) - 4 - more.length);
    return `${this.style.id(SPINNER[this.frame % SPINNER.length] ?? "*")} ${oneLine(newest, width)}${this.style.dim(more)}`;
  }

  /** The prompt and the typed text, with the cursor where readline keeps it (as its own refresh does). */
  private drawPrompt(prompt: Interface): void {
    const text = prompt.getPrompt() + prompt.line;
    this.out.write(text);
    const width = stripVTControlCharacters(text).length;
    const columns = this.out.columns || 80;
    if (width % columns === 0) this.out.write(" ");
    const cursor = prompt.getCursorPos();
    cursorTo(this.out, cursor.cols);
    const below = Math.floor(width / columns) - cursor.rows;
    if (below > 0) moveCursor(this.out, 0, -below);
  }

  private rowsOf(text: string): number {
    const columns = this.out.columns || 80;
    return Math.max(1, Math.ceil(stripVTControlCharacters(text).length / columns));
  }

  private startSpinner(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.frame += 1;
      this.redrawStatus();
    }, TICK_MS);
    this.timer.unref();
  }

  private stopSpinner(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
