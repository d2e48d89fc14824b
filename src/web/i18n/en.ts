import type { th } from './th.ts';

/** English labels of the portal. */
export const en: Record<keyof typeof th, string> = {
  'site.title': 'Agency Data Catalog',
  'site.skip': 'Skip to content',
  'nav.datasets': 'Datasets',
  'nav.organizations': 'Organizations',
  'nav.groups': 'Groups',
  'nav.signin': 'Sign in',
  'nav.signout': 'Sign out',
  'nav.admin': 'Administration',
  'nav.language': 'ภาษาไทย',
  'error.notfound': 'Page not found',
  'error.forbidden': 'Access denied',
  'error.server': 'Something went wrong',
  'error.csrf': 'The form has expired or is invalid; please try again',
};
