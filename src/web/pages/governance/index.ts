import type { FastifyInstance } from 'fastify';
import type { Web } from '../../context.ts';
import { governanceCommon } from './common.ts';
import { caseRoutes } from './cases.ts';
import { requestRoutes } from './requests.ts';
import { inboxRoutes } from './inbox.ts';
import { dutyRoutes } from './duties.ts';
import { policyRoutes } from './policy.ts';

/** The `/governance` pages: cases, requests, the inbox, duties; the published policies at `/policy`. */
export function governanceRoutes(scope: FastifyInstance, web: Web): void {
  governanceCommon(scope, web);
  caseRoutes(scope, web);
  requestRoutes(scope, web);
  inboxRoutes(scope, web);
  dutyRoutes(scope, web);
  policyRoutes(scope, web);
}
