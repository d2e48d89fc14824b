import { AuthorizationError, ValidationError, type Msg } from '../actions/errors.ts';
import type { NextStep } from './types.ts';

function nextMessages(next: NextStep[]): Msg[] {
  if (!next.length) return [{ th: 'ไม่มีขั้นตอนที่ท่านดำเนินการได้ในขณะนี้', en: 'there is no step you may take now' }];
  return next.map((n) => ({ th: `${n.name} — ${n.label.th}`, en: `${n.name} — ${n.label.en}` }));
}

/**
 * A transition that does not apply now (wrong state, a condition that does not hold, or another
 * approver was first). A ValidationError, so the API answers 409; `next` lists what the caller may
 * do instead, and the envelope carries it too (field `next`).
 */
export class TransitionNotAllowedError extends ValidationError {
  readonly next: NextStep[];
  readonly state: string;
  constructor(message: Msg, state: string, next: NextStep[], field = 'transition') {
    super({ [field]: [message], next: nextMessages(next) });
    this.next = next;
    this.state = state;
  }
}

/** The caller lacks the role for this step, or separation of duties forbids it (403). */
export class WorkflowForbiddenError extends AuthorizationError {
  readonly next: NextStep[];
  constructor(message: Msg, next: NextStep[]) {
    super(message);
    this.next = next;
  }
}
