/** The provider-neutral directory sync engine (lock, staging batches, safety limit, journal). */
export * from './engine';
export * from './retries';
export * from './suspensions';
