import { useState } from "react";
import { ApprovalKind, ApprovalStatus, type Approval } from "../../../gen/pushpals/v1/approvals_pb.js";
import { useApi } from "../api.js";
import { approvalStatusName } from "../state/chat-rows.js";

interface Props {
  approval: Approval;
  answer: { status: ApprovalStatus; by: string; comment: string } | undefined;
}

/** An approval the system waits on, answerable right here; once answered it says by whom. */
export function ApprovalCard({ approval, answer }: Props) {
  const { clients, report } = useApi();
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [local, setLocal] = useState<Approval | undefined>(undefined);
  const status = answer?.status ?? local?.status ?? approval.status;
  const pending = status === ApprovalStatus.PENDING;
  const kind = (ApprovalKind[approval.kind] ?? "approval").toLowerCase().replace(/_/g, " ");
  const answerWith = async (approve: boolean) => {
    setBusy(true);
    try {
      const request = { id: approval.id, answeredBy: "web", comment };
      const response = approve ? await clients.approvals.approve(request) : await clients.approvals.deny(request);
      setLocal(response.approval);
      setError("");
    } catch (e) {
      setError(report(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className={`card approval ${pending ? "waiting" : ""}`} aria-label={`Approval for the ${kind}`} data-testid="approval">
      <h3>
        Approval: {kind} <span className="pill">{approvalStatusName(status)}</span>
      </h3>
      <p>{approval.subject}</p>
      <p className="muted">Rule: {approval.rule}</p>
      {pending ? (
        <div className="row">
          <label className="grow">
            <span className="sr-only">Comment on approval {approval.id}</span>
            <input placeholder="Comment (optional)" value={comment} onChange={(e) => setComment(e.target.value)} />
          </label>
          <button type="button" disabled={busy} onClick={() => answerWith(true)}>
            Approve
          </button>
          <button type="button" className="danger" disabled={busy} onClick={() => answerWith(false)}>
            Deny
          </button>
        </div>
      ) : (
        <p className="muted">
          {approvalStatusName(status)} by {answer?.by || local?.answeredBy || approval.answeredBy || "timeout"}
          {(answer?.comment || local?.comment) && `: ${answer?.comment || local?.comment}`}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
