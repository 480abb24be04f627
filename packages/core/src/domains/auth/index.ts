export * from './api-keys.schema';
export * from './api-keys.service';
export * from './security-events.schema';
export * from './security-events.service';
export * from './two-factor.schema';
