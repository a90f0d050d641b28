import { useState } from "react";
import { saveToken } from "../rpc/token.js";

/** Shown when a call answers Unauthenticated: the server was started with PUSHPALS_AUTH_TOKEN. */
export function TokenPrompt({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState("");
  return (
    <div className="overlay">
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="token-title"
        onSubmit={(e) => {
          e.preventDefault();
          saveToken(token.trim());
          onDone();
        }}
      >
        <h2 id="token-title">This server needs a token</h2>
        <p>It was started with an auth token (PUSHPALS_AUTH_TOKEN). The token is kept in this tab only and sent as a bearer header.</p>
        <label>
          Token
          <input type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} required />
        </label>
        <button type="submit">Use token</button>
      </form>
    </div>
  );
}
