import type { ActionDef } from '../registry.ts';
import { caseActions } from './cases.ts';
import { dutyActions } from './duties.ts';
import { notificationActions } from './notifications.ts';
import { letterActions } from './letters.ts';
import { documentActions } from './documents.ts';
import { reviewActions } from './review.ts';
import { publicationActions } from './publication.ts';

/** The governance case actions (issue 11), registered in one block. */
export const governanceCaseActions: ActionDef[] = [...caseActions, ...dutyActions, ...notificationActions, ...letterActions, ...documentActions, ...reviewActions, ...publicationActions];
