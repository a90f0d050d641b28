/**
 * Counts events inside a trailing time window (OTP's restart intensity: at most
 * MaxR restarts within MaxT). Times come from a monotonic clock.
 */
export class SlidingWindow {
  private times: number[] = [];

  constructor(private readonly windowMs: number) {}

  /** Records an event at `now` and returns how many fall inside the window, this one included. */
  record(now: number): number {
    this.forgetBefore(now - this.windowMs);
    this.times.push(now);
    return this.times.length;
  }

  /** How many events fall inside the window ending at `now`. */
  count(now: number): number {
    this.forgetBefore(now - this.windowMs);
    return this.times.length;
  }

  private forgetBefore(cutoff: number): void {
    const firstKept = this.times.findIndex((time) => time > cutoff);
    this.times = firstKept === -1 ? [] : this.times.slice(firstKept);
  }
}
