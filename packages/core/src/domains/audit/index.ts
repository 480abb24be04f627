export type { ChainVerification } from './audit.chain';
export { canonicalJson, GENESIS_HASH, hashEntry, verifyAuditChain } from './audit.chain';
export type { ActivityListInput, ActivityLogEntry, AuditListInput, AuditLogEntry, AuditService } from './audit.service';
export { createAuditService } from './audit.service';
export { redact, summarizeChange } from './audit.summary';
