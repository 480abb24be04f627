/** Google Workspace initial passwords: revealed once, from the store both clouds share (keyed by provider). */
import {
  type RevealInitialPasswordSpec,
  revealInitialPassword,
} from '../integrations/initial-passwords';
import { GOOGLE_ERRORS } from './errors';
import type { GoogleWritebackContext } from './writeback.context';
import { googleEmailSchema } from './writeback.schema';
import type { GoogleInitialPassword } from './writeback.service';

/** How Google reveals: by primary email, Google's errors and audit action. */
const REVEAL: RevealInitialPasswordSpec = {
  provider: 'google_workspace',
  addressSchema: googleEmailSchema,
  auditAction: 'google_workspace.initial_password_reveal',
  auditDetails: (email) => ({ email }),
  notFound: (address) => GOOGLE_ERRORS.WRITEBACK_INITIAL_PASSWORD_NOT_FOUND({ address }),
  revealed: (address, revealedAt) =>
    GOOGLE_ERRORS.WRITEBACK_INITIAL_PASSWORD_REVEALED({ address, revealedAt }),
};

export function googlePasswordOperations(ctx: GoogleWritebackContext) {
  return {
    /** See `GoogleWritebackService.revealInitialPassword`. */
    async revealInitialPassword(
      email: string,
      options?: Parameters<typeof revealInitialPassword>[3],
    ): Promise<GoogleInitialPassword> {
      const { address, password, createdAt, revealedAt } = await revealInitialPassword(
        ctx.rt,
        REVEAL,
        email,
        options,
      );
      return { email: address, password, createdAt, revealedAt };
    },
  };
}
