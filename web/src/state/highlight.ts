/**
 * A small tokenizer for diff and log lines: comments, strings, numbers and the keywords common
 * to JavaScript/TypeScript, Python, Go, Rust and shell. Enough to make a change readable at a
 * glance without shipping a grammar per language.
 */
export type TokenKind = "plain" | "keyword" | "string" | "number" | "comment";

export interface Token {
  kind: TokenKind;
  text: string;
}

const KEYWORDS = new Set(
  (
    "as async await break case catch class const continue def default defer delete do elif else enum export extends false fn for from func function go " +
    "if impl import in interface let match mod new nil None null package pub return self static struct super switch this throw true True False try type " +
    "typeof undefined use var void while with yield echo then fi done"
  ).split(" "),
);

const TOKEN = /(\/\/.*$|#(?!!).*$|\/\*.*?\*\/)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`)|(\b\d[\d_.]*(?:e[+-]?\d+)?\b)|([A-Za-z_$][\w$]*)/g;

export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const match of line.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    if (index > last) tokens.push({ kind: "plain", text: line.slice(last, index) });
    const [text, comment, string, number, word] = match;
    const kind: TokenKind = comment ? "comment" : string ? "string" : number ? "number" : word && KEYWORDS.has(word) ? "keyword" : "plain";
    push(tokens, kind, text);
    last = index + text.length;
  }
  if (last < line.length) push(tokens, "plain", line.slice(last));
  return tokens;
}

function push(tokens: Token[], kind: TokenKind, text: string): void {
  const previous = tokens[tokens.length - 1];
  if (previous && previous.kind === kind && kind === "plain") previous.text += text;
  else tokens.push({ kind, text });
}
