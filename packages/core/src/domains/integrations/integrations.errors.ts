/** Error codes of the directory-integration contract (`helios.integrations`). */
import { defineErrors } from '../../errors/define-errors';

export const INTEGRATIONS_ERRORS = defineErrors({
  UNSUPPORTED: {
    code: 'INTEGRATIONS.UNSUPPORTED',
    kind: 'PRECONDITION_FAILED',
    message: (p: { integration: string; operation: string }) => `${p.integration} has no write-back operation ${p.operation}.`,
    details: (p) => ({ integration: p.integration, operation: p.operation }),
    summary: 'The cloud has no such write-back operation (e.g. licenses in Google Workspace).',
  },
  UNKNOWN: {
    code: 'INTEGRATIONS.UNKNOWN',
    kind: 'INVALID_INPUT',
    message: (p: { id: string }) => `No directory integration ${p.id}: use 'google' or 'microsoft'.`,
    details: (p) => ({ id: p.id }),
    summary: "No directory integration with this id ('google' or 'microsoft').",
  },
});
