/** Minutes since midnight of "HH:MM". */
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `now` (UTC) is inside one of the "HH:MM-HH:MM" windows; a window that ends before it starts runs over midnight. Empty: always. */
export function inWindows(windows: readonly string[], now: number): { inside: boolean; window?: string } {
  if (windows.length === 0) return { inside: true };
  const date = new Date(now);
  const at = date.getUTCHours() * 60 + date.getUTCMinutes();
  for (const window of windows) {
    const [start, end] = window.split("-").map(minutes) as [number, number];
    const inside = start <= end ? at >= start && at < end : at >= start || at < end;
    if (inside) return { inside: true, window };
  }
  return { inside: false };
}
