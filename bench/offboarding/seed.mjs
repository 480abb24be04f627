// The data of the offboarding benchmark: the organization, both clouds connected to their
// simulators, the seeded directory users linked to local users by the directory syncs (groups and
// licences mirrored with them), a manager per leaver, and an offboarding template with every step on.
//
// Seeded so that every step of the all-steps template has real work (`sim.workspace` on Google):
// per leaver TOKENS_PER_USER OAuth tokens, APP_PASSWORDS_PER_USER app passwords,
// FILES_PER_USER Drive files, a Google licence (LICENSE_SKU, unlimited seats) and a phone on each
// cloud (a Google mobile device, an Intune managed device); one shared drive
// per 10 leavers with them as members; the generated Graph users have mailboxes (mail) and
// licences already, the managers (forwarding and transfer targets) exist on both clouds.

import { seedDirectoryUsers, setupBenchOrganization } from '../lib/fixtures.mjs';
import { urlFor } from '../lib/pg.mjs';

/** What each leaver holds on Google besides groups. */
export const TOKENS_PER_USER = 2;
export const APP_PASSWORDS_PER_USER = 1;
export const FILES_PER_USER = 3;
/** The Google licence every leaver holds (the first of the default SKUs looked for). */
export const LICENSE_SKU = 'Google-Apps/1010020027';
/** Leavers per shared drive. */
export const LEAVERS_PER_SHARED_DRIVE = 10;

/** Seeds the Workspace items the steps act on (directly in the simulator's state: no API call). */
function seedWorkspaceItems(google, leavers) {
  const w = google.workspace;
  w.setLicenseSeats(LICENSE_SKU, null);
  for (const [i, l] of leavers.entries()) {
    for (let k = 0; k < TOKENS_PER_USER; k++)
      w.addToken(l.email, {
        clientId: `bench-app-${k}.apps.googleusercontent.com`,
        displayText: `Bench app ${k}`,
        scopes: ['https://www.googleapis.com/auth/drive'],
      });
    for (let k = 0; k < APP_PASSWORDS_PER_USER; k++) w.addAppPassword(l.email, `Client ${k}`);
    for (let k = 0; k < FILES_PER_USER; k++) w.addDriveFile(l.email, `Report ${k}.txt`);
    w.assignLicense(l.email, LICENSE_SKU);
    if (i % LEAVERS_PER_SHARED_DRIVE === 0) {
      const members = leavers
        .slice(i, i + LEAVERS_PER_SHARED_DRIVE)
        .map((m) => ({ email: m.email, role: 'writer' }));
      w.addSharedDrive(`Team ${i / LEAVERS_PER_SHARED_DRIVE}`, members);
    }
  }
}

/** One phone per leaver on each cloud, for the mobile wipe (Google account wipe, Intune retire). */
function seedMobileDevices(google, graph, leavers) {
  for (const l of leavers) {
    google.workspace.addMobileDevice(l.email);
    graph.addManagedDevice(l.microsoft_365_id);
  }
}

/**
 * Sets up everything the runs need and returns the acting admin, the template and the leavers
 * (users 1..`users` of the seed; users `users`+1.. are their managers, one per 50 leavers).
 */
export async function seedOrganization({ helios, pool, google, graph, users, managers, domain }) {
  const { admin: adminUser, organization } = await setupBenchOrganization(helios, domain);
  const admin = helios.as({ type: 'user', userId: adminUser.id });
  const database = (await pool.query('select current_database() as d')).rows[0].d;
  await seedDirectoryUsers(urlFor(database), organization.id, users + managers, domain);

  await admin.google.credentials.configure({
    serviceAccountKey: google.serviceAccountKey,
    adminEmail: google.adminEmail,
    domain,
  });
  const tested = await admin.google.credentials.testConnection();
  if (!tested.ok)
    throw new Error(`seeding: the Google connection test failed: ${JSON.stringify(tested)}`);
  await admin.microsoft.credentials.configure({
    tenantId: graph.tenantId,
    clientId: graph.clientId,
    clientSecret: graph.clientSecret,
  });
  await admin.organizations.modules.enable('microsoft_365');
  await admin.google.sync.sync();
  await admin.microsoft.sync.sync();

  // A manager per leaver (the data transfer, the mail forwarding and the notice go to them).
  const width = Math.max(6, String(users + managers).length);
  const email = (i) => `user${String(i).padStart(width, '0')}@${domain}`;
  await pool.query(
    `update organization_users u set reporting_manager_id = m.id
       from generate_series(1, $3::int) g, organization_users m
      where u.email = 'user' || lpad(g::text, $1, '0') || '@' || $2
        and m.email = 'user' || lpad(($3 + 1 + g % $4)::text, $1, '0') || '@' || $2`,
    [width, domain, users, managers],
  );

  const { rows } = await pool.query(
    `select id, email, google_workspace_id, microsoft_365_id, reporting_manager_id
       from organization_users where email = any($1::text[]) order by email`,
    [Array.from({ length: users }, (_, k) => email(k + 1))],
  );
  const unlinked = rows.filter(
    (r) => !r.google_workspace_id || !r.microsoft_365_id || !r.reporting_manager_id,
  );
  if (rows.length !== users || unlinked.length > 0)
    throw new Error(
      `seeding: ${rows.length} of ${users} leavers found, ${unlinked.length} not linked on both clouds or without a manager`,
    );

  seedWorkspaceItems(google, rows);
  seedMobileDevices(google, graph, rows);

  const template = await admin.lifecycle.templates.offboarding.create({
    name: 'Bench: every step',
    driveAction: 'transfer_manager',
    calendarTransferMeetingOwnership: true,
    emailAction: 'forward_manager',
    removeFromAllGroups: true,
    removeFromSharedDrives: true,
    revokeOauthTokens: true,
    revokeAppPasswords: true,
    signOutAllDevices: true,
    resetPassword: true,
    wipeMobileDevices: true,
    accountAction: 'suspend_immediately',
    licenseAction: 'remove_on_suspension',
    deleteAccount: true,
    deleteAfterDays: 30,
    notifyManager: true,
    notifyItAdmin: true,
    notifyHr: true,
    notificationEmailAddresses: [`records@${domain}`],
  });

  return {
    admin,
    templateId: template.id,
    leavers: rows.map((r) => ({
      id: r.id,
      email: r.email,
      googleId: r.google_workspace_id,
      msId: r.microsoft_365_id,
    })),
  };
}
