/**
 * The project's error types. Decoders throw only WireError; everything that
 * crosses a trust boundary is converted to one of these (ARCHITECTURE B5).
 */

/** Base class: every error we throw on purpose carries a stable code. */
export class KeywayError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'KeywayError';
    this.code = code;
  }
}

/** Thrown by codecs on hostile or malformed bytes. */
export class WireError extends KeywayError {
  /** Byte offset (within the buffer being decoded) where the problem was found. */
  readonly offset: number;
  /** Payload type being decoded, if any. */
  readonly payloadType: number | undefined;
  constructor(code: string, message: string, offset = 0, payloadType?: number) {
    super(code, message);
    this.name = 'WireError';
    this.offset = offset;
    this.payloadType = payloadType;
  }
}

/** Thrown by crypto code on invalid input (bad KE value, failed ICV, bad key length). */
export class CryptoError extends KeywayError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'CryptoError';
  }
}

/** Configuration errors: always name the file, line, bad value and a fix hint. */
export class ConfigError extends KeywayError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly hint: string | undefined;
  constructor(message: string, file: string, line: number, column = 1, hint?: string) {
    super('CONFIG', `${file}:${line}:${column}: ${message}${hint ? ` (hint: ${hint})` : ''}`);
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
    this.column = column;
    this.hint = hint;
  }
}

/** Environment failures from the dataplane (kernel, userspace). */
export class KernelError extends KeywayError {
  readonly errno: number | undefined;
  constructor(code: string, message: string, errno?: number) {
    super(code, message);
    this.name = 'KernelError';
    this.errno = errno;
  }
}
