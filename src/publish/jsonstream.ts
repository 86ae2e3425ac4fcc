// Splits the Docker Engine API's streamed JSON messages (docker load, pull, push, build).
// Messages are usually one per line, but chunks may cut a message anywhere (even inside a
// UTF-8 sequence) or carry several messages, with or without newlines between them.

export interface JsonMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: unknown;
}

/** The error a message reports in-band (HTTP 200 with `error` / `errorDetail`), if any. */
export function jsonMessageError(msg: JsonMessage): string | undefined {
  const detail = msg.errorDetail?.message;
  if (typeof detail === 'string' && detail !== '') return detail;
  if (typeof msg.error === 'string' && msg.error !== '') return msg.error;
  if (msg.errorDetail !== undefined || msg.error !== undefined) return 'unknown error';
  return undefined;
}

/** Longest single message (or line of plain text) accepted by default: 1 MiB. */
export const MAX_JSON_MESSAGE_CHARS = 1024 * 1024;

export class JsonMessageParser {
  readonly #maxMessage: number;
  #decoder = new TextDecoder('utf-8');
  #buf = '';
  #pos = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** Start of the JSON value being scanned, or -1. */
  #start = -1;
  /** Start of a run of non-JSON text at top level (kept as a `stream` line), or -1. */
  #rawStart = -1;

  /** `maxMessageChars`: a longer message or text line is an error (a daemon cannot make us buffer without end). */
  constructor(options: { maxMessageChars?: number } = {}) {
    this.#maxMessage = options.maxMessageChars ?? MAX_JSON_MESSAGE_CHARS;
  }

  #tooLong(): never {
    throw new MessageTooLongError(`a message from Docker is longer than ${this.#maxMessage} characters; stopped reading`);
  }

  /** Feeds a chunk; returns the messages it completed. */
  push(chunk: Uint8Array | string): JsonMessage[] {
    this.#buf += typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    return this.#scan();
  }

  /** Ends the stream; returns what was left. Throws when a JSON message was cut off. */
  end(): JsonMessage[] {
    this.#buf += this.#decoder.decode();
    const out = this.#scan();
    if (this.#start >= 0) {
      const partial = this.#buf.slice(this.#start);
      throw new Error(`truncated JSON message from Docker: ${truncate(partial, 200)}`);
    }
    if (this.#rawStart >= 0) {
      const text = this.#buf.slice(this.#rawStart).trim();
      if (text !== '') out.push({ stream: text });
    }
    this.#buf = '';
    this.#pos = 0;
    this.#rawStart = -1;
    return out;
  }

  #scan(): JsonMessage[] {
    const out: JsonMessage[] = [];
    const s = this.#buf;
    let i = this.#pos;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (this.#depth === 0) {
        if (this.#rawStart >= 0) {
          if (c === 0x0a) {
            if (i - this.#rawStart > this.#maxMessage) this.#tooLong();
            const text = s.slice(this.#rawStart, i).trim();
            if (text !== '') out.push({ stream: text });
            this.#rawStart = -1;
          }
          continue;
        }
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
          this.#start = i;
          this.#depth = 1;
          continue;
        }
        this.#rawStart = i;
        continue;
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === 0x5c /* \ */) this.#escaped = true;
        else if (c === 0x22 /* " */) this.#inString = false;
        continue;
      }
      if (c === 0x22) this.#inString = true;
      else if (c === 0x7b || c === 0x5b) this.#depth++;
      else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        this.#depth--;
        if (this.#depth === 0) {
          if (i + 1 - this.#start > this.#maxMessage) this.#tooLong();
          out.push(toMessage(s.slice(this.#start, i + 1)));
          this.#start = -1;
        }
      }
    }
    // Drop what has been consumed.
    let keep = i;
    if (this.#start >= 0) keep = this.#start;
    else if (this.#rawStart >= 0) keep = this.#rawStart;
    if (keep > 0) {
      this.#buf = s.slice(keep);
      if (this.#start >= 0) this.#start -= keep;
      if (this.#rawStart >= 0) this.#rawStart -= keep;
      i -= keep;
    }
    this.#pos = i;
    // What is kept is one unfinished message or line.
    if (this.#buf.length > this.#maxMessage) this.#tooLong();
    return out;
  }
}

function toMessage(text: string): JsonMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`invalid JSON message from Docker (${(err as Error).message}): ${truncate(text, 200)}`);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as JsonMessage;
  return { stream: JSON.stringify(value) };
}

function truncate(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n)}…` : one;
}

/** The daemon sent a message or line longer than the parser keeps (it stopped reading). */
export class MessageTooLongError extends Error {
  override name = 'MessageTooLongError';
}
