import type { Msg } from '../../actions/errors.ts';

/** A refusal of the gateway: an HTTP status, a stable code partners can test for, Thai and English. */
export class GatewayError extends Error {
  readonly status: number;
  readonly code: string;
  readonly msg: Msg;
  readonly headers: Record<string, string>;
  readonly detail: Record<string, unknown>;
  constructor(status: number, code: string, msg: Msg, opts: { headers?: Record<string, string>; detail?: Record<string, unknown> } = {}) {
    super(msg.en);
    this.status = status;
    this.code = code;
    this.msg = msg;
    this.headers = opts.headers ?? {};
    this.detail = opts.detail ?? {};
  }
}
