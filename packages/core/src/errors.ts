/**
 * Domain errors. Storage and domain code throw these; the server maps `code` to an HTTP status in
 * one place, the CLI prints `message` as one line. `details` must be safe to show to a client.
 */
export class StewardError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  /** HTTP status the server answers with. */
  readonly status: number;
  constructor(code: string, message: string, status: number, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export class InvalidInputError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>, code = 'invalid_input') {
    super(code, message, 400, details);
  }
}

export class UnauthorizedError extends StewardError {
  constructor(message = 'missing or invalid token: pass STEWARD_TOKEN or --token', details?: Record<string, unknown>) {
    super('unauthorized', message, 401, details);
  }
}

export class ForbiddenError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('forbidden', message, 403, details);
  }
}

export class NotFoundError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>, code = 'not_found') {
    super(code, message, 404, details);
  }
}

export class ConflictError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>, code = 'conflict') {
    super(code, message, 409, details);
  }
}

export class PayloadTooLargeError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('payload_too_large', message, 413, details);
  }
}

export class GateFailedError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('gate_failed', message, 422, details);
  }
}

export class DigestMismatchError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('digest_mismatch', message, 422, details);
  }
}

export function isStewardError(err: unknown): err is StewardError {
  return err instanceof StewardError;
}
