/** Google Workspace initial passwords: revealed once, from the store both clouds share (keyed by provider). */
import { revealInitialPassword } from '../integrations/initial-passwords';
import { GOOGLE_ERRORS } from './errors';
import type { GoogleWritebackContext } from './writeback.context';
import { googleEmailSchema } from './writeback.schema';
import type { GoogleWritebackService } from './writeback.service';

export function googlePasswordOperations(ctx: GoogleWritebackContext): Pick<GoogleWritebackService, 'revealInitialPassword'> {
  return {
    async revealInitialPassword(email, options) {
      const { address, ...rest } = await revealInitialPassword(
        ctx.rt,
        {
          provider: 'google_workspace',
          addressSchema: googleEmailSchema,
          auditAction: 'google_workspace.initial_password_reveal',
          auditDetails: (address) => ({ email: address }),
          notFound: (address) => GOOGLE_ERRORS.WRITEBACK_INITIAL_PASSWORD_NOT_FOUND({ address }),
          revealed: (address, revealedAt) => GOOGLE_ERRORS.WRITEBACK_INITIAL_PASSWORD_REVEALED({ address, revealedAt }),
        },
        email,
        options,
      );
      return { email: address, ...rest };
    },
  };
}
