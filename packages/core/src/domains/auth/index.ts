export * from './api-keys.service';
export * from './security-events.service';
