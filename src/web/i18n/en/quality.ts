import type { quality as th } from '../th/quality.ts';

/** Metadata quality and the OIT checklist (issue 8). */
export const quality: Record<keyof typeof th, string> = {
  'quality.section': 'Quality and disclosure',
  'quality.scores': 'Metadata quality scores',
  'quality.oit': 'OIT open-data checklist',
};
