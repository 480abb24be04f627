export * from './access-groups.schema';
export * from './access-groups.service';
export type { GroupReferences, GroupsPage } from './groups.shared';
export * from './user-groups.schema';
export * from './user-groups.service';
export * from './workspaces.schema';
export * from './workspaces.service';
