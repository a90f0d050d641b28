/** A unified diff (git's output, as the runner stores it in the job's "diff" artifact) read into files and hunks. */
export interface DiffLine {
  type: "context" | "add" | "del";
  text: string;
  oldNo: number | undefined;
  newNo: number | undefined;
}

export interface DiffHunk {
  header: string;
  lines: DiffLine[];
}

export interface DiffFile {
  oldPath: string;
  newPath: string;
  hunks: DiffHunk[];
  added: number;
  removed: number;
  binary: boolean;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | undefined;
  let hunk: DiffHunk | undefined;
  let oldNo = 0;
  let newNo = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("diff --git ")) {
      const paths = /^diff --git a\/(.+) b\/(.+)$/.exec(line);
      file = { oldPath: paths?.[1] ?? "", newPath: paths?.[2] ?? "", hunks: [], added: 0, removed: 0, binary: false };
      files.push(file);
      hunk = undefined;
      continue;
    }
    if (!file) continue;
    const start = HUNK.exec(line);
    if (start) {
      oldNo = Number(start[1]);
      newNo = Number(start[2]);
      hunk = { header: line, lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (!hunk) {
      if (line.startsWith("--- ") && line !== "--- /dev/null") file.oldPath = line.slice(4).replace(/^a\//, "");
      else if (line.startsWith("+++ ") && line !== "+++ /dev/null") file.newPath = line.slice(4).replace(/^b\//, "");
      else if (line.startsWith("Binary files")) file.binary = true;
      continue;
    }
    if (line.startsWith("+")) {
      hunk.lines.push({ type: "add", text: line.slice(1), oldNo: undefined, newNo: newNo++ });
      file.added++;
    } else if (line.startsWith("-")) {
      hunk.lines.push({ type: "del", text: line.slice(1), oldNo: oldNo++, newNo: undefined });
      file.removed++;
    } else if (line.startsWith(" ")) {
      hunk.lines.push({ type: "context", text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
    }
    // "\ No newline at end of file" and the trailing empty line carry no content.
  }
  return files;
}

export interface SplitRow {
  left: DiffLine | undefined;
  right: DiffLine | undefined;
}

/** Side by side: a run of removals faces the run of additions that replaces it, line for line. */
export function splitRows(hunk: DiffHunk): SplitRow[] {
  const rows: SplitRow[] = [];
  let dels: DiffLine[] = [];
  let adds: DiffLine[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++) rows.push({ left: dels[i], right: adds[i] });
    dels = [];
    adds = [];
  };
  for (const line of hunk.lines) {
    if (line.type === "del") {
      if (adds.length > 0) flush();
      dels.push(line);
    } else if (line.type === "add") adds.push(line);
    else {
      flush();
      rows.push({ left: line, right: line });
    }
  }
  flush();
  return rows;
}
