import { Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";

export interface TextSink {
  /** Takes the raw bytes of one stream. */
  readonly writable: Writable;
  /** Hands on what is left of a split multi-byte character; safe to call twice. */
  flush(): void;
}

/**
 * Decodes a byte stream to UTF-8 text as it arrives, without breaking characters that a
 * WebSocket frame boundary split. Text is handed on synchronously, so the order of stdout and
 * stderr chunks is the order their frames arrived in.
 */
export function textSink(onText: (text: string) => void): TextSink {
  const decoder = new StringDecoder("utf8");
  let flushed = false;
  const emit = (text: string) => {
    if (text !== "") onText(text);
  };
  return {
    writable: new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (!flushed) emit(decoder.write(chunk));
        done();
      },
    }),
    flush() {
      if (flushed) return;
      flushed = true;
      emit(decoder.end());
    },
  };
}
