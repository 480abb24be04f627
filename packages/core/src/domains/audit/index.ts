export type {
  AuditChainKeys,
  AuditHead,
  AuditKeySources,
  ChainBreak,
  ChainVerification,
} from './audit.chain';
export {
  appendAuditRow,
  canonicalJson,
  deriveAuditKeys,
  formatAuditHead,
  GENESIS_HASH,
  hashEntry,
  KEYED_HASH_PREFIX,
  macEntry,
  parseAuditHead,
  verifyAuditChain,
} from './audit.chain';
export { AUDIT_ERRORS } from './audit.errors';
export type {
  ActivityListInput,
  ActivityLogEntry,
  AuditHeadExport,
  AuditListInput,
  AuditLogEntry,
  AuditService,
  VerifyChainOptions,
} from './audit.service';
export { createAuditService } from './audit.service';
export { redact, summarizeChange } from './audit.summary';
