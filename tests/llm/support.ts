import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { pino, type Logger } from "pino";
import type { z } from "zod";
import type { Config } from "../../shared/config/schema.js";
import { llmSection } from "../../shared/config/sections/llm.js";
import { startScriptedModelServer, type ScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";

export function scriptPath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/model-scripts/${name}`, import.meta.url));
}

export function serveScript(name: string): Promise<ScriptedModelServer> {
  return startScriptedModelServer({ script: scriptPath(name) });
}

/** The `[llm]` section pointing every role at `baseUrl`. */
export function llmConfig(baseUrl: string, extra: z.input<typeof llmSection> = {}): Config["llm"] {
  return llmSection.parse({ baseUrl, model: "scripted", maxRetries: 0, timeoutSeconds: 10, ...extra });
}

/** A pino logger whose JSON lines the test can read back. */
export function capturedLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: "trace" }, sink), lines: () => lines };
}

export function elapsedSince(start: number): number {
  return Date.now() - start;
}
