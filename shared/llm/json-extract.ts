/**
 * Finds the JSON a model meant to send when the endpoint could not be held to a schema:
 * the whole reply, else the first ```json fence, else the first balanced {...} in prose.
 * (No installed library does this; the vendored partial-json parser inside `openai` is private.)
 */
export type Extracted = { ok: true; value: unknown } | { ok: false; error: string };

export function extractJson(text: string): Extracted {
  const whole = tryParse(text.trim());
  if (whole.ok) return whole;

  let firstFailure: string | undefined;
  for (const candidate of [...fencedBlocks(text), ...braceObjects(text)]) {
    const parsed = tryParse(candidate);
    if (parsed.ok) return parsed;
    firstFailure ??= parsed.error;
  }
  if (firstFailure) return { ok: false, error: `the reply's JSON does not parse (${firstFailure})` };
  return { ok: false, error: "the reply contains no JSON object" };
}

function tryParse(candidate: string): Extracted {
  if (candidate === "") return { ok: false, error: "empty" };
  try {
    return { ok: true, value: JSON.parse(candidate) as unknown };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function fencedBlocks(text: string): string[] {
  return [...text.matchAll(/```[ \t]*(?:json[c5]?)?[ \t]*\r?\n([\s\S]*?)```/gi)].map((m) => (m[1] ?? "").trim());
}

/** Each top-level `{...}` span, matched brace for brace outside JSON strings. */
function braceObjects(text: string): string[] {
  const spans: string[] = [];
  let start = text.indexOf("{");
  while (start !== -1) {
    const end = matchingBrace(text, start);
    if (end === -1) {
      // Unbalanced to the end: still offer it, so the error names what is wrong with it.
      spans.push(text.slice(start));
      break;
    }
    spans.push(text.slice(start, end + 1));
    start = text.indexOf("{", end + 1);
  }
  return spans;
}

function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  return -1;
}
