// Connects Google Workspace and Microsoft 365 to an organization and syncs both directories, against
// the simulators of @helios/testing (real HTTP on 127.0.0.1, no tenant needed): configure, test,
// plan, apply, an incremental Microsoft run, the synced directory, and a write-back in each.
// Runs on DATABASE_URL (an empty database) or, without it, on an in-memory embedded database.
//
//   npm run build && node examples/directory-sync/sync.mjs

import { randomBytes } from 'node:crypto';
import { createHelios } from '@helios/core';
import { startGoogleDirectorySimulator, startGraphSimulator } from '@helios/testing';

const google = await startGoogleDirectorySimulator({
  domain: 'acme.example',
  seed: { users: 40, groups: 4, membersPerGroup: 6, orgUnits: 3 },
});
const microsoft = await startGraphSimulator({
  domain: 'acme.example',
  seed: { users: 30, groups: 3, membersPerGroup: 5 },
});

const url = process.env.DATABASE_URL;
const helios = await createHelios({
  ...(url ? { databaseUrl: url, install: true } : { embedded: {} }),
  encryptionKey: randomBytes(32).toString('base64'), // secrets (the key, the client secret) are stored encrypted
  // In production leave this out: calls go to Google and Microsoft.
  integrations: {
    google: { rootUrl: google.url, tokenUrl: google.tokenUrl },
    microsoft: { graphUrl: microsoft.url, loginUrl: microsoft.authorityHost },
  },
});

try {
  const { admin } = await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: 'acme.example',
    admin: { email: 'ada@acme.example', firstName: 'Ada', lastName: 'Lovelace' },
  });
  const asAdmin = helios.as({ type: 'user', userId: admin.id });
  // A portal user who also exists in both directories: the syncs link it by email / UPN.
  await asAdmin.users.create({
    email: 'user000002@acme.example',
    firstName: 'Two',
    lastName: 'Linked',
  });

  // 1. Google Workspace: a service account with domain-wide delegation, acting for a super admin.
  await asAdmin.google.credentials.configure({
    serviceAccountKey: google.serviceAccountKey,
    adminEmail: google.adminEmail,
    domain: 'acme.example',
  });
  const gTest = await asAdmin.google.credentials.testConnection();
  console.log(`Google connection: ${gTest.ok ? 'ok' : gTest.message}`);
  const gPlan = await asAdmin.google.sync.sync({ dryRun: true });
  console.log(
    `Google plan: ${gPlan.counts.users.created} users and ${gPlan.counts.groups.created} groups to create (nothing written)`,
  );
  const gRun = await asAdmin.google.sync.sync();
  console.log(
    `Google sync: ${gRun.counts.users.created} users, ${gRun.counts.groups.created} groups, ${gRun.counts.links.linked} linked`,
  );
  const created = await asAdmin.google.writeback.createUser({
    primaryEmail: 'new.hire@acme.example',
    givenName: 'New',
    familyName: 'Hire',
  });
  const password = await asAdmin.google.writeback.revealInitialPassword('new.hire@acme.example');
  console.log(
    `Google write-back: created ${created.email} (initial password of ${password.password.length} characters, revealed once)`,
  );

  // 2. Microsoft 365: an Entra app registration with application permissions.
  await asAdmin.microsoft.credentials.configure({
    tenantId: microsoft.tenantId,
    clientId: microsoft.clientId,
    clientSecret: microsoft.clientSecret,
  });
  const mTest = await asAdmin.microsoft.credentials.testConnection();
  console.log(`Microsoft connection: ${mTest.ok ? 'ok' : mTest.message}`);
  const mFull = await asAdmin.microsoft.sync.sync();
  console.log(
    `Microsoft sync (${mFull.mode}): ${mFull.counts.users.created} users, ${mFull.counts.groups.created} groups, ${mFull.fetched.pages} Graph requests`,
  );

  // Someone changes a user in Entra; the next run reads only the changes.
  const someone = [...microsoft.state.users.values()].find(
    (u) => u.userPrincipalName === 'user000005@acme.example',
  );
  microsoft.touchUser(someone.id, { jobTitle: 'Head of Research' });
  const mNext = await asAdmin.microsoft.sync.sync();
  console.log(
    `Microsoft sync (${mNext.mode}): ${mNext.counts.users.updated} user updated, ${mNext.fetched.pages} Graph requests`,
  );

  const licences = await asAdmin.microsoft.directory.listLicenses();
  const free = licences.find((l) => (l.availableUnits ?? 0) > 0);
  const assigned = await asAdmin.microsoft.writeback
    .assignLicense(someone.id, { add: [free.skuId] })
    .then(
      () => 'assigned',
      (error) => error.code,
    );
  console.log(
    `Microsoft write-back: licence ${free.skuPartNumber} for ${someone.userPrincipalName}: ${assigned}`,
  );

  // 3. The synced directories, read back.
  const gUsers = await asAdmin.google.directory.listUsers({ linked: true });
  const mUsers = await asAdmin.microsoft.directory.listUsers({ linked: true });
  console.log(
    `Linked portal users: Google ${gUsers.items.map((u) => u.email).join(', ')}; Microsoft ${mUsers.items.map((u) => u.upn).join(', ')}`,
  );
  const runs = await asAdmin.audit.list({ action: 'microsoft_365.sync' });
  console.log(`Journal: ${runs.items.length} Microsoft runs audited`);
} finally {
  await helios.close();
  await google.close();
  await microsoft.close();
}
