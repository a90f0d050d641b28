import { styleText } from "node:util";

type Format = Parameters<typeof styleText>[0];

/** Colours for one output stream; plain text unless it is a terminal that takes colour (NO_COLOR, FORCE_COLOR respected). */
export interface Style {
  ok(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
  dim(text: string): string;
  id(text: string): string;
  bold(text: string): string;
}

export function styleFor(stream: NodeJS.WritableStream): Style {
  // styleText checks the stream itself: a pipe, a file or NO_COLOR gets the text unchanged.
  const paint = (format: Format) => (text: string) => styleText(format, text, { stream });
  return { ok: paint("green"), bad: paint("red"), warn: paint("yellow"), dim: paint("dim"), id: paint("cyan"), bold: paint("bold") };
}

export const plainStyle: Style = {
  ok: (text) => text,
  bad: (text) => text,
  warn: (text) => text,
  dim: (text) => text,
  id: (text) => text,
  bold: (text) => text,
};
