import { useState } from "react";
import { useApi } from "../api.js";

interface Props {
  sessionId: string;
  itemId: string;
  text: string;
  options: string[];
  answered: string | undefined;
  /** The agent asked mid-job (answered with AnswerQuestion), or the planner asked (answered in the chat). */
  forJob: boolean;
}

export function QuestionCard({ sessionId, itemId, text, options, answered, forJob }: Props) {
  const { clients, report } = useApi();
  const [answer, setAnswer] = useState("");
  const [sent, setSent] = useState("");
  const [error, setError] = useState("");
  const send = async (value: string) => {
    try {
      if (forJob) await clients.execution.answerQuestion({ jobId: itemId, text: value, author: "web" });
      else await clients.chat.send({ sessionId, text: value, author: "web" });
      setSent(value);
      setError("");
    } catch (e) {
      setError(report(e));
    }
  };
  const done = answered ?? (sent || undefined);
  return (
    <section className="card question" aria-label="Question">
      <h3>{forJob ? `The agent asks (${itemId})` : "PushPals asks"}</h3>
      <p>{text}</p>
      {done !== undefined ? (
        <p className="muted">Answered: {done}</p>
      ) : (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (answer.trim()) void send(answer.trim());
          }}
        >
          {options.map((option) => (
            <button type="button" key={option} onClick={() => send(option)}>
              {option}
            </button>
          ))}
          <label className="grow">
            <span className="sr-only">Answer</span>
            <input placeholder="Answer" value={answer} onChange={(e) => setAnswer(e.target.value)} />
          </label>
          <button type="submit">Answer</button>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
