export * from './organizations.schema';
export * from './organizations.service';
