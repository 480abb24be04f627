// Audit log and activity feed (`helios.audit`) and the types of the audit chain's verification.

export type {
  ActivityListInput,
  ActivityLogEntry,
  AuditChainKeys,
  AuditHead,
  AuditHeadExport,
  AuditKeySources,
  AuditListInput,
  AuditLogEntry,
  AuditService,
  ChainBreak,
  ChainVerification,
  VerifyChainOptions,
} from '../domains/audit';
export { AUDIT_ERRORS } from '../domains/audit';
