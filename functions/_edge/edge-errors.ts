import { WardenError } from '../../shared/domain/errors';

/** The request body is larger than the edge accepts (413). */
export class PayloadTooLargeError extends WardenError {
  readonly code = 'PAYLOAD_TOO_LARGE';
  constructor(readonly limitBytes: number) {
    super(`The request body exceeds ${limitBytes} bytes.`);
  }
}

/** The request body is not JSON (415). */
export class UnsupportedMediaTypeError extends WardenError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  constructor(received: string | null) {
    super(
      `The request body must be application/json, got ${received ? `'${received.slice(0, 100)}'` : 'no content type'}.`,
    );
  }
}

/** The route changes state at a version and the caller sent no If-Match (428). */
export class PreconditionRequiredError extends WardenError {
  readonly code = 'PRECONDITION_REQUIRED';
  constructor() {
    super('This request requires If-Match with the ETag of the version you read (GET it first).');
  }
}
