export * from './users.service';
