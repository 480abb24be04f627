/**
 * The onboarding plan (predecessor §6.4, its rules without its defects): the local user (with the
 * manager and job fields), then in each connected cloud the account (a random initial password kept
 * encrypted by the write-back, never in the plan, the journal or a mail), org unit, licence (free
 * seats checked first when the cloud can tell), groups, shared drives, calendars; signature and
 * training are skipped while their modules are not built; the welcome mail goes to the personal
 * address through the mailer (no password in it).
 */

import type { PlanBuilder, PlanCloud } from './lifecycle.runs.plan';
import { ref } from './lifecycle.runs.plan';
import type { OnboardingTemplate } from './lifecycle.templates';

/** Who is onboarded. */
export interface OnboardPerson {
  email: string;
  firstName: string;
  lastName: string;
  personalEmail: string | null;
  jobTitle: string | null;
  departmentId: string | null;
  managerId: string | null;
  startDate: string | null;
}

/** What the onboarding planner reads. */
export interface OnboardPlanContext {
  person: OnboardPerson;
  /** The template with the overrides applied (null: no template). */
  template: Partial<OnboardingTemplate> | null;
  clouds: PlanCloud[];
  /** The template's access groups, with the cloud group each is linked to. */
  groups: Array<{ id: string; name: string; platform: string; externalId: string | null }>;
  microsoftLicenseSkuIds: string[];
  /** The Microsoft account's usage location (needed for a licence), or null. */
  microsoftUsageLocation: string | null;
  /** Whether the template's timeline has training actions. */
  hasTraining: boolean;
  organizationName: string;
  portalUrl: string | null;
  /** The plan's date (YYYY-MM-DD): the welcome mail's start date when none is given. */
  today: string;
  managerName: string | null;
}

const LOCAL = 'local.create_user';

/** Adds the onboarding steps to `plan`. */
export function planOnboarding(plan: PlanBuilder, ctx: OnboardPlanContext): void {
  const { person, template: t } = ctx;
  const jobTitle = person.jobTitle ?? t?.defaultJobTitle ?? null;
  const managerId = person.managerId ?? t?.defaultManagerId ?? null;
  const departmentId = person.departmentId ?? t?.departmentId ?? null;
  plan.add(
    LOCAL,
    'create_user',
    'local',
    'The organization user, with the manager and job fields',
    {
      operation: 'users.create',
      args: [
        {
          email: person.email,
          firstName: person.firstName,
          lastName: person.lastName,
          ...(jobTitle ? { jobTitle } : {}),
          ...(managerId ? { managerId } : {}),
          ...(departmentId ? { departmentId } : {}),
          ...(person.startDate ? { startDate: person.startDate } : {}),
        },
      ],
    },
    [],
    { taskAction: 'create_account' },
  );

  const accounts: string[] = [];
  for (const c of ctx.clouds) {
    const account = `${c.id}.create_account`;
    const input =
      c.id === 'google'
        ? {
            primaryEmail: person.email,
            givenName: person.firstName,
            familyName: person.lastName,
            ...(jobTitle ? { title: jobTitle } : {}),
            localUserId: ref(LOCAL),
          }
        : {
            userPrincipalName: person.email,
            displayName: `${person.firstName} ${person.lastName}`,
            givenName: person.firstName,
            surname: person.lastName,
            ...(jobTitle ? { jobTitle } : {}),
            ...(ctx.microsoftUsageLocation ? { usageLocation: ctx.microsoftUsageLocation } : {}),
            localUserId: ref(LOCAL),
          };
    const created = plan.cloud(
      c,
      true,
      'create_account',
      'create_account',
      `The ${c.cloud.displayName} account (job title set with it; a random initial password, kept encrypted for one reveal)`,
      ['createUser'],
      () => ({ operation: 'createUser', args: [input] }),
      [LOCAL],
      { taskAction: 'create_account' },
    );
    const linked = created.state === 'planned';
    if (linked) accounts.push(account);
    const user = ref(account);
    const deps = [account];

    if (c.id === 'google' && t?.googleOrgUnitPath) {
      plan.cloud(
        c,
        linked,
        'org_unit',
        'org_unit',
        `The template's org unit ${t.googleOrgUnitPath}`,
        ['moveToOrgUnit'],
        () => ({ operation: 'moveToOrgUnit', args: [user, t.googleOrgUnitPath] }),
        deps,
      );
    }
    const skus =
      c.id === 'google'
        ? t?.googleLicenseSku
          ? [t.googleLicenseSku]
          : []
        : ctx.microsoftLicenseSkuIds;
    if (skus.length > 0) {
      const check = c.cloud.supports.has('licenseAvailability');
      plan.cloud(
        c,
        linked,
        'license',
        'license',
        check
          ? `Licence ${skus.join(', ')}, after checking for free seats`
          : `Licence ${skus.join(', ')} (${c.cloud.displayName} cannot report free seats yet: assigned without the check)`,
        ['assignLicense'],
        () =>
          check
            ? {
                operation: 'licenseAvailability',
                args: [skus],
                andThen: { operation: 'assignLicense', args: [user, skus] },
              }
            : { operation: 'assignLicense', args: [user, skus] },
        deps,
      );
    }
    for (const g of ctx.groups) {
      if (g.platform !== c.cloud.moduleSlug || !g.externalId) continue;
      // Google names members by address, Graph by object id.
      const member = c.id === 'google' ? person.email : user;
      plan.cloud(
        c,
        linked,
        `group:${g.id}`,
        'add_to_group',
        `The ${c.cloud.displayName} group of the access group "${g.name}"`,
        ['addMember'],
        () => ({ operation: 'addMember', args: [g.externalId, member] }),
        deps,
        { taskAction: 'add_to_groups' },
      );
    }
    if (c.id === 'google') {
      for (const d of t?.sharedDriveAccess ?? []) {
        plan.cloud(
          c,
          linked,
          `shared_drive:${d.driveId}`,
          'add_to_shared_drive',
          `Shared drive ${d.driveName ?? d.driveId} as ${d.role}`,
          ['addToSharedDrive'],
          () => ({ operation: 'addToSharedDrive', args: [d.driveId, user, d.role] }),
          deps,
        );
      }
      for (const calendarId of t?.calendarSubscriptions ?? []) {
        plan.cloud(
          c,
          linked,
          `calendar:${calendarId}`,
          'share_calendar',
          `Calendar ${calendarId} shared as reader`,
          ['shareCalendar'],
          () => ({ operation: 'shareCalendar', args: [calendarId, user, 'reader'] }),
          deps,
        );
      }
    }
  }

  for (const g of ctx.groups) {
    plan.add(
      `local.group:${g.id}`,
      'add_to_group',
      'local',
      `The access group "${g.name}"`,
      { operation: 'accessGroups.addMember', args: [g.id, ref(LOCAL)] },
      [LOCAL],
      { taskAction: 'add_to_groups' },
    );
  }
  if (t?.signatureTemplateId)
    plan.skip(
      'local.signature',
      'set_signature',
      'local',
      "The template's email signature",
      'skipped: the signatures module is not available',
    );
  if (ctx.hasTraining)
    plan.skip(
      'local.training',
      'assign_training',
      'local',
      "The template's training assignments",
      'skipped: the training module is not available',
    );

  const reason = 'The welcome mail to the personal address (no password in it)';
  if (t?.sendWelcomeEmail === false)
    plan.skip('mail.welcome', 'welcome_mail', 'mail', reason, 'skipped: the template turns it off');
  else if (!person.personalEmail)
    plan.skip('mail.welcome', 'welcome_mail', 'mail', reason, 'skipped: no personal address');
  else if (!ctx.portalUrl)
    plan.skip(
      'mail.welcome',
      'welcome_mail',
      'mail',
      reason,
      'skipped: no portal URL given (portalUrl) to sign in at',
    );
  else
    plan.add(
      'mail.welcome',
      'welcome_mail',
      'mail',
      reason,
      {
        operation: 'notifications.enqueue',
        args: [
          {
            templateKey: 'onboarding.welcome',
            to: person.personalEmail,
            variables: {
              firstName: person.firstName,
              organizationName: ctx.organizationName,
              email: person.email,
              startDate: person.startDate ?? ctx.today,
              portalUrl: ctx.portalUrl,
              managerName: ctx.managerName,
            },
          },
        ],
      },
      [LOCAL, ...accounts],
      { taskAction: 'send_email' },
    );
}
