import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app.js";
import { applyTheme, preferredTheme } from "./components/theme-toggle.js";
import "./styles.css";

// Marks the browser tests read to say where an open spends its time.
performance.mark("pushpals:started");
applyTheme(preferredTheme());
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
