/**
 * Microsoft 365 passwords: reset (a generated password, changed at the next sign-in) and the
 * one-time reveal, from the store both clouds share (keyed by provider).
 */
import { generateInitialPassword, initialPasswordsNeedKey, revealInitialPassword, storeInitialPassword } from '../integrations/initial-passwords';
import { runWriteback } from '../integrations/writeback';
import { MICROSOFT_ERRORS } from './errors';
import type { MicrosoftWritebackContext } from './writeback.context';
import { userPrincipalNameSchema } from './writeback.schema';
import type { MicrosoftWritebackService } from './writeback.service';

const lower = (value: unknown) => (typeof value === 'string' && value !== '' ? value.trim().toLowerCase().slice(0, 255) : null);

export function microsoftPasswordOperations(ctx: MicrosoftWritebackContext): Pick<MicrosoftWritebackService, 'revealInitialPassword' | 'resetPassword'> {
  const { rt } = ctx;
  return {
    async revealInitialPassword(userPrincipalName, options) {
      const { address, ...rest } = await revealInitialPassword(
        rt,
        {
          provider: 'microsoft_365',
          addressSchema: userPrincipalNameSchema,
          auditAction: 'microsoft_365.initial_password_reveal',
          auditDetails: (address) => ({ upn: address }),
          notFound: (address) => MICROSOFT_ERRORS.WRITEBACK_INITIAL_PASSWORD_NOT_FOUND({ address }),
          revealed: (address, revealedAt) => MICROSOFT_ERRORS.WRITEBACK_INITIAL_PASSWORD_REVEALED({ address, revealedAt }),
        },
        userPrincipalName,
        options,
      );
      return { userPrincipalName: address, ...rest };
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
          const address = row.upn ?? lower((await ms.getUser(row.ms_id)).userPrincipalName);
          if (!address) throw MICROSOFT_ERRORS.REQUEST_FAILED({ message: 'Microsoft Graph returned no userPrincipalName.' });
          await ms.updateUser(row.ms_id, { passwordProfile: { password, forceChangePasswordNextSignIn: true } });
          return address;
        },
        async record(s, address, { row, password }) {
          const storedId = await storeInitialPassword(rt, s, 'microsoft_365', address, password);
          await s.audit({
            action: 'microsoft_365.password_reset',
            resource: 'ms_synced_users',
            resourceId: row.id,
            details: { msId: row.ms_id, upn: address, storedId, forceChangePasswordNextSignIn: true },
          });
          return { msId: row.ms_id, userPrincipalName: address, forceChangePasswordNextSignIn: true as const, storedAt: s.now };
        },
      }),
  };
}
