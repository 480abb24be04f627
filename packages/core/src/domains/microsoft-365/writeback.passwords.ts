/**
 * Microsoft 365 passwords: reset (a generated password, changed at the next sign-in) and the
 * one-time reveal, from the store both clouds share (keyed by provider).
 */
import {
  generateInitialPassword,
  initialPasswordsNeedKey,
  type RevealInitialPasswordSpec,
  revealInitialPassword,
  storeInitialPassword,
} from '../integrations/initial-passwords';
import { emailOrNull } from '../integrations/normalize';
import { runWriteback } from '../integrations/writeback';
import { MICROSOFT_ERRORS } from './errors';
import type { MicrosoftWritebackContext } from './writeback.context';
import { userPrincipalNameSchema } from './writeback.schema';
import type { MicrosoftWritebackService } from './writeback.service';

/** How Microsoft reveals: by UPN, with its own errors and audit action (a reset password too). */
const REVEAL: RevealInitialPasswordSpec = {
  auditAction: 'microsoft_365.initial_password_reveal',
  auditDetails: (upn) => ({ upn }),
  addressSchema: userPrincipalNameSchema,
  provider: 'microsoft_365',
  revealed: (address, revealedAt) =>
    MICROSOFT_ERRORS.WRITEBACK_INITIAL_PASSWORD_REVEALED({ address, revealedAt }),
  notFound: (address) => MICROSOFT_ERRORS.WRITEBACK_INITIAL_PASSWORD_NOT_FOUND({ address }),
};

export function microsoftPasswordOperations(
  ctx: MicrosoftWritebackContext,
): Pick<MicrosoftWritebackService, 'revealInitialPassword' | 'resetPassword'> {
  const { rt } = ctx;
  return {
    revealInitialPassword: async (userPrincipalName, options) => {
      const revealed = await revealInitialPassword(rt, REVEAL, userPrincipalName, options);
      return {
        userPrincipalName: revealed.address,
        password: revealed.password,
        createdAt: revealed.createdAt,
        revealedAt: revealed.revealedAt,
      };
    },

    resetPassword: (msId, options) =>
      runWriteback(rt, 'microsoftWriteback.resetPassword', 'users:write', options, {
        async prepare(s) {
          const row = await ctx.prepareUser(s, msId);
          if (!rt.secretBox) throw initialPasswordsNeedKey();
          return { row, password: generateInitialPassword() };
        },
        async call({ row, password }) {
          const ms = await ctx.provider();
          const address = row.upn ?? emailOrNull((await ms.getUser(row.ms_id)).userPrincipalName);
          if (!address)
            throw MICROSOFT_ERRORS.REQUEST_FAILED({
              message: 'Microsoft Graph returned no userPrincipalName.',
            });
          await ms.updateUser(row.ms_id, {
            passwordProfile: { password, forceChangePasswordNextSignIn: true },
          });
          return address;
        },
        async record(s, address, { row, password }) {
          const storedId = await storeInitialPassword(rt, s, 'microsoft_365', address, password);
          await s.audit({
            action: 'microsoft_365.password_reset',
            resource: 'ms_synced_users',
            resourceId: row.id,
            details: {
              msId: row.ms_id,
              upn: address,
              storedId,
              forceChangePasswordNextSignIn: true,
            },
          });
          return {
            msId: row.ms_id,
            userPrincipalName: address,
            forceChangePasswordNextSignIn: true as const,
            storedAt: s.now,
          };
        },
      }),
  };
}
