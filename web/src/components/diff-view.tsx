import { useMemo, useState } from "react";
import { parseUnifiedDiff, splitRows, type DiffLine } from "../state/diff.js";
import { tokenize } from "../state/highlight.js";
import { ScrollRegion } from "./scroll-region.js";

/** The job's change: unified or side by side, syntax-highlighted. */
export function DiffView({ diff }: { diff: string }) {
  const files = useMemo(() => parseUnifiedDiff(diff), [diff]);
  const [mode, setMode] = useState<"unified" | "split">("unified");
  return (
    <section className="card" aria-label="Diff" data-testid="diff">
      <div className="row">
        <h3 className="grow">
          Change <span className="muted">{files.length} file(s)</span>
        </h3>
        <fieldset className="segmented">
          <legend className="sr-only">Diff layout</legend>
          <label>
            <input type="radio" name="diff-mode" checked={mode === "unified"} onChange={() => setMode("unified")} /> Unified
          </label>
          <label>
            <input type="radio" name="diff-mode" checked={mode === "split"} onChange={() => setMode("split")} /> Split
          </label>
        </fieldset>
      </div>
      {files.map((file) => (
        <div className="difffile" key={file.newPath || file.oldPath}>
          <h4>
            {file.newPath || file.oldPath} <span className="add-count">+{file.added}</span> <span className="del-count">−{file.removed}</span>
          </h4>
          {file.binary && <p className="muted">binary file</p>}
          <ScrollRegion className="diffscroll" label={`Changes in ${file.newPath || file.oldPath}`}>
            <table className={`diff ${mode}`}>
              <tbody>
                {file.hunks.map((hunk) => [
                  <tr key={hunk.header} className="hunk">
                    <td colSpan={mode === "split" ? 4 : 3}>{hunk.header}</td>
                  </tr>,
                  ...(mode === "unified"
                    ? hunk.lines.map((line) => (
                        <tr key={`${hunk.header}:${line.oldNo}:${line.newNo}`} className={line.type}>
                          <td className="no">{line.oldNo ?? ""}</td>
                          <td className="no">{line.newNo ?? ""}</td>
                          <Code line={line} />
                        </tr>
                      ))
                    : splitRows(hunk).map((row) => (
                        <tr key={`${hunk.header}:${row.left?.oldNo}:${row.right?.newNo}`}>
                          <td className="no">{row.left?.oldNo ?? ""}</td>
                          <Code line={row.left} side="left" />
                          <td className="no">{row.right?.newNo ?? ""}</td>
                          <Code line={row.right} side="right" />
                        </tr>
                      ))),
                ])}
              </tbody>
            </table>
          </ScrollRegion>
        </div>
      ))}
    </section>
  );
}

function Code({ line, side }: { line: DiffLine | undefined; side?: "left" | "right" }) {
  if (!line) return <td className="code empty" />;
  const type = side === undefined ? line.type : line.type === "context" ? "context" : line.type;
  const mark = type === "add" ? "+" : type === "del" ? "−" : " ";
  return (
    <td className={`code ${type}`}>
      <span className="mark" aria-hidden="true">
        {mark}
      </span>
      {tokenize(line.text).map((t, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: tokens of one line have no identity but their place.
        <span key={i} className={`tok-${t.kind}`}>
          {t.text}
        </span>
      ))}
    </td>
  );
}
