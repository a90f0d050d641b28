import type { ReactNode } from "react";
import { navigate } from "../router.js";

/** A link to a job's view that moves within the app (no reload), and still opens in a new tab. */
export function JobLink({ jobId, children }: { jobId: string; children?: ReactNode }) {
  const path = `/jobs/${jobId}`;
  return (
    <a
      href={path}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(path);
      }}
    >
      {children ?? jobId}
    </a>
  );
}
