import { qualityActions as scoreActions } from './actions.ts';
import { oitActions } from './oit.ts';

/** Metadata quality (issue 8): scores, the link checker's queue action, the OIT checklist. */
export const qualityActions = [...scoreActions, ...oitActions];
