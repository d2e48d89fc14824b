/**
 * Roles are data: a role grants permissions inside one organisation. Later waves add roles
 * (data owner, steward, CDO, DPO, reviewer) by adding rows here, not by changing policies.
 */
export type Permission =
  | 'read' // see the organisation's internal datasets
  | 'read_sensitive' // see personal / confidential / security entries of the organisation
  | 'read_files' // download files of the organisation's shared (non-open) datasets
  | 'create_dataset'
  | 'update_dataset'
  | 'delete_dataset'
  | 'manage_group' // put datasets into groups (themes)
  | 'manage_members'; // add and remove members, change roles

export const ROLE_PERMISSIONS: Record<string, readonly Permission[]> = {
  admin: ['read', 'read_sensitive', 'read_files', 'create_dataset', 'update_dataset', 'delete_dataset', 'manage_group', 'manage_members'],
  editor: ['read', 'read_sensitive', 'read_files', 'create_dataset', 'update_dataset', 'delete_dataset', 'manage_group'],
  member: ['read'],
};

/** Roles that also apply to every organisation below the one they were given in (CKAN hierarchy default). */
export const CASCADING_ROLES: readonly string[] = ['admin'];

export const ROLE_LABELS: Record<string, { th: string; en: string }> = {
  admin: { th: 'ผู้ดูแลหน่วยงาน', en: 'Admin' },
  editor: { th: 'ผู้แก้ไข', en: 'Editor' },
  member: { th: 'สมาชิก', en: 'Member' },
};

export function isRole(role: string): boolean {
  return Object.hasOwn(ROLE_PERMISSIONS, role);
}

export function roleHas(role: string | undefined, permission: Permission): boolean {
  return role !== undefined && (ROLE_PERMISSIONS[role]?.includes(permission) ?? false);
}
