// Sets up an organization, creates departments and users with managers, lists them, prints the
// org chart and exports the users as CSV. Runs on DATABASE_URL (an empty database, or an installed
// one that has not been set up) or, without it, on an in-memory embedded database.
//
//   npm run build && node examples/directory-quickstart/quickstart.mjs

import { createHelios, isHeliosError } from '@helios/core';

const url = process.env.DATABASE_URL;
const helios = await createHelios(url ? { databaseUrl: url, install: true } : { embedded: {} });

try {
  // 1. First run: the organization and its first admin (one transaction; refused once done).
  const { organization, admin } = await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: 'acme.example',
    admin: {
      email: 'ada@acme.example',
      firstName: 'Ada',
      lastName: 'Lovelace',
      password: 'a long admin passphrase',
    },
  });
  console.log(`Set up ${organization.name} (${organization.domain}); admin ${admin.email}`);

  // 2. Every call below acts as the admin: the SDK checks permissions and writes the audit trail.
  const asAdmin = helios.as({ type: 'user', userId: admin.id });

  // 3. Departments, and users in them with managers, atomically.
  const { engineering, grace } = await asAdmin.transaction(async (tx) => {
    const engineering = await tx.departments.create({ name: 'Engineering' });
    const sales = await tx.departments.create({ name: 'Sales' });
    const grace = await tx.users.create({
      email: 'grace@acme.example',
      firstName: 'Grace',
      lastName: 'Hopper',
      role: 'manager',
      jobTitle: 'VP Engineering',
      departmentId: engineering.id,
    });
    for (const [first, last] of [
      ['Alan', 'Turing'],
      ['Edsger', 'Dijkstra'],
    ]) {
      await tx.users.create({
        email: `${first.toLowerCase()}@acme.example`,
        firstName: first,
        lastName: last,
        jobTitle: 'Engineer',
        departmentId: engineering.id,
        managerId: grace.id,
      });
    }
    await tx.users.create({
      email: 'katherine@acme.example',
      firstName: 'Katherine',
      lastName: 'Johnson',
      departmentId: sales.id,
    });
    return { engineering, grace };
  });

  // 4. List with a filter, a sort and pagination.
  const page = await asAdmin.users.list({
    departmentId: engineering.id,
    sort: 'lastName',
    limit: 2,
  });
  console.log(
    'Engineering, page 1:',
    page.items.map((u) => `${u.firstName} ${u.lastName}`).join(', '),
  );
  if (page.nextCursor) {
    const next = await asAdmin.users.list({
      departmentId: engineering.id,
      sort: 'lastName',
      limit: 2,
      cursor: page.nextCursor,
    });
    console.log(
      'Engineering, page 2:',
      next.items.map((u) => `${u.firstName} ${u.lastName}`).join(', '),
    );
  }

  // 5. The reporting line and the org chart.
  const reports = await asAdmin.users.directReports(grace.id);
  console.log(`${grace.firstName} has ${reports.length} direct reports`);
  const print = (nodes, depth = 0) => {
    for (const node of nodes) {
      console.log(
        `${'  '.repeat(depth + 1)}- ${node.firstName} ${node.lastName}${node.jobTitle ? ` (${node.jobTitle})` : ''}`,
      );
      print(node.reports, depth + 1);
    }
  };
  console.log('Org chart:');
  print(await asAdmin.users.orgChart());

  // 6. Export (streamed in pages, constant memory).
  let csv = '';
  for await (const chunk of asAdmin.users.exportCsv({ sort: 'email' })) csv += chunk;
  console.log(`CSV export: ${csv.trim().split('\n').length - 1} users`);
  console.log(csv.split('\n')[0]);

  // 7. Every change above is in the tamper-evident audit trail.
  const chain = await asAdmin.audit.verifyChain();
  console.log(`Audit trail: ${chain.checked} rows, chain ${chain.ok ? 'intact' : 'BROKEN'}`);
} catch (error) {
  console.error(isHeliosError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  await helios.close();
}
