/**
 * First-run setup: whether it is needed, and creating the installation's single organization and its
 * first admin in one transaction.
 */
import { sql } from 'kysely';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { camelize } from '../../shared/case';
import { parseInput } from '../../shared/validation';
import { type AuditChainKeys, appendAuditRow, summarizeChange } from '../audit';
import { hashUserPassword, storePasswordHash } from '../auth';
import { installDefaultTemplates } from '../notifications';
import type { Principal } from '../policy/policy';
import { ORGANIZATIONS_ERRORS } from './organizations.errors';
import { CORE_MODULES } from './organizations.model';
import { setupSchema } from './organizations.schema';
import type { OrganizationsService } from './organizations.service';

const SETUP_PRINCIPAL: Principal = {
  actor: { type: 'system', name: 'setup' },
  userId: null,
  role: null,
  isAdministrator: true,
  auditType: 'system',
  auditId: 'setup',
};

/** Builds `setupStatus` and `setup` of `helios.organizations`. */
export function createSetup(
  rt: ServiceRuntime,
): Pick<OrganizationsService, 'setupStatus' | 'setup'> {
  return {
    async setupStatus() {
      const orgId = await rt.findOrganizationId();
      if (!orgId) return { isSetupComplete: false, hasOrganization: false, hasAdmin: false };
      const admin = await rt.db
        .selectFrom('organization_users')
        .select('id')
        .where('organization_id', '=', orgId)
        .where('role', '=', 'admin')
        .where('user_status', '=', 'active')
        .where('deleted_at', 'is', null)
        .limit(1)
        .executeTakeFirst();
      return {
        isSetupComplete: admin !== undefined,
        hasOrganization: true,
        hasAdmin: admin !== undefined,
      };
    },

    async setup(input) {
      const data = parseInput(setupSchema, input);
      const passwordHash = data.admin.password ? await hashUserPassword(data.admin.password) : null;
      const result = await rt.writeAs(
        SETUP_PRINCIPAL,
        '00000000-0000-0000-0000-000000000000',
        async (s) => {
          await sql`select pg_advisory_xact_lock(hashtext('helios:setup'))`.execute(s.db);
          const existing = await s.db
            .selectFrom('organizations')
            .select('id')
            .limit(1)
            .executeTakeFirst();
          if (existing) {
            throw ORGANIZATIONS_ERRORS.ALREADY_SET_UP();
          }
          const organization = await s.db
            .insertInto('organizations')
            .values({
              name: data.organizationName,
              domain: data.organizationDomain,
              is_setup_complete: true,
              created_at: s.now,
              updated_at: s.now,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          const admin = await s.db
            .insertInto('organization_users')
            .values({
              organization_id: organization.id,
              email: data.admin.email,
              first_name: data.admin.firstName,
              last_name: data.admin.lastName,
              role: 'admin',
              user_status: 'active',
              is_active: true,
              created_at: s.now,
              updated_at: s.now,
            })
            .returning(['id', 'email', 'first_name', 'last_name'])
            .executeTakeFirstOrThrow();
          if (passwordHash) await storePasswordHash(s.db, admin.id, passwordHash, s.now);
          for (const module of CORE_MODULES) {
            await s.db
              .insertInto('modules')
              .values({ ...module })
              .onConflict((oc) => oc.column('slug').doNothing())
              .execute();
          }
          await s.db
            .insertInto('master_data_settings')
            .values({ organization_id: organization.id })
            .onConflict((oc) => oc.column('organization_id').doNothing())
            .execute();
          await installDefaultTemplates(s.db, organization.id, s.now);
          // The audit rows belong to the new organization: write them with its id.
          const scoped = { ...s, organizationId: organization.id };
          await appendAs(scoped, organization.id, rt.instance.auditKeys ?? null, {
            action: 'organizations.setup',
            resource: 'organization',
            resourceId: organization.id,
            details: summarizeChange(null, {
              name: organization.name,
              domain: organization.domain,
            }),
          });
          await appendAs(scoped, organization.id, rt.instance.auditKeys ?? null, {
            action: 'users.create',
            resource: 'user',
            resourceId: admin.id,
            details: {
              ...summarizeChange(null, {
                email: admin.email,
                role: 'admin',
                user_status: 'active',
              }),
              passwordSet: passwordHash !== null,
            },
          });
          return {
            organization: camelize(organization),
            admin: {
              id: admin.id,
              email: admin.email,
              firstName: admin.first_name,
              lastName: admin.last_name,
              role: 'admin' as const,
            },
          };
        },
      );
      rt.setOrganizationId(result.organization.id);
      return result;
    },
  };
}

/** Appends an audit row for the organization being created (setup runs before the organization is known). */
async function appendAs(
  s: OperationScope,
  organizationId: string,
  keys: AuditChainKeys | null,
  entry: Parameters<OperationScope['audit']>[0],
): Promise<void> {
  await appendAuditRow(s.db, {
    organizationId,
    actorType: s.principal.auditType,
    actorId: s.principal.auditId,
    userId: null,
    action: entry.action,
    resource: entry.resource,
    resourceId: entry.resourceId ?? null,
    details: entry.details ?? {},
    createdAt: s.now,
    keys,
  });
}
