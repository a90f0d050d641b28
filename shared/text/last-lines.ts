/** The last `count` lines of `text`, without its trailing blank lines. */
export function lastLines(text: string, count: number): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}
