import crypto from 'node:crypto';
import type { TestEnv } from '../helpers.ts';
import type { WorkflowActor } from '../../src/workflow/types.ts';

/** People with governance roles; rows go straight into `users`, the engine needs no more. */
export async function person(env: TestEnv, name: string, roles: string[]): Promise<WorkflowActor> {
  const id = crypto.randomUUID();
  await env.services.store.db
    .insertInto('users')
    .values({ id, name, password_hash: null, created: new Date(), recovery_codes: JSON.stringify([]) })
    .execute();
  return { id, name, roles };
}

export function tx<T>(env: TestEnv, fn: (tx: any) => Promise<T>): Promise<T> {
  return env.services.store.db.transaction().execute(fn);
}

/** Rejects with the error so a test can look at it. */
export async function failure(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}
