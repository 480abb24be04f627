export * from './access-groups.service';
export * from './user-groups.service';
export * from './workspaces.service';
