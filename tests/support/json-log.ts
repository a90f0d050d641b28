/**
 * The top-level keys of one JSON object line, in order and with repeats. JSON.parse keeps
 * only the last of a repeated key, so it cannot show them; pino writes a child's bindings
 * after its parent's without merging, and log pipelines differ on which copy they keep.
 */
export function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === '"') {
      const start = i;
      for (i++; i < line.length && line[i] !== '"'; i++) if (line[i] === "\\") i++;
      let next = i + 1;
      while (line[next] === " ") next++;
      if (depth === 1 && line[next] === ":") keys.push(JSON.parse(line.slice(start, i + 1)) as string);
    }
  }
  return keys;
}

/** Keys that stand more than once at the top of a JSON line. */
export function repeatedKeys(line: string): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const key of topLevelKeys(line)) (seen.has(key) ? repeated : seen).add(key);
  return [...repeated];
}

/**
 * What a reader of these logs would trip over: a key twice in one line, or a line about a
 * request, job or completion that does not say which session it belongs to.
 */
export function logProblems(lines: readonly string[]): string[] {
  const problems: string[] = [];
  for (const line of lines.filter((l) => l.startsWith("{"))) {
    for (const key of repeatedKeys(line)) problems.push(`${key} twice in ${line}`);
    const record = JSON.parse(line) as Record<string, unknown>;
    const about = ["requestId", "jobId", "completionId"].find((key) => record[key] !== undefined);
    if (about && typeof record.sessionId !== "string") problems.push(`${about} without sessionId in ${line}`);
  }
  return problems;
}
