export * from './smtp.service';
