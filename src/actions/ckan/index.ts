import type { ActionDef } from '../registry.ts';
import { currentPackageListWithResources, formatAutocomplete, groupPackageShow, memberRolesList, organizationAutocomplete, resourceSearch, vocabularyList } from './lists.ts';
import { dashboardActivityList, organizationActivityList, recentlyChangedPackagesActivityList } from './activity-feeds.ts';
import { bulkUpdateDelete, bulkUpdatePrivate, bulkUpdatePublic, datasetPurge, packageOwnerOrgUpdate } from './bulk.ts';
import { packageRevise } from './revise.ts';
import { feedDatasets, sitemapEntries } from './feeds.ts';
import { packageCollaboratorCreate, packageCollaboratorDelete, packageCollaboratorList } from './collaborators.ts';

/** CKAN actions that clients, harvesters and ckanapi use beyond the core ones (issue 12). */
export const ckanActions: ActionDef[] = [
  currentPackageListWithResources, formatAutocomplete, organizationAutocomplete, memberRolesList, vocabularyList, groupPackageShow, resourceSearch,
  organizationActivityList, recentlyChangedPackagesActivityList, dashboardActivityList,
  bulkUpdatePrivate, bulkUpdatePublic, bulkUpdateDelete, packageOwnerOrgUpdate, datasetPurge,
  packageRevise,
  packageCollaboratorCreate, packageCollaboratorDelete, packageCollaboratorList,
  feedDatasets, sitemapEntries,
] as ActionDef[];
