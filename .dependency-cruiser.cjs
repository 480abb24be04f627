/**
 * Dependency rules of the monorepo (`npm run lint:deps`, run by `npm run lint` and CI).
 * Every rule is an error: domains import each other only through their index.ts, runtime.ts and the
 * shared code know no cloud, and the two clouds never import each other (issue 14).
 * @type {import('dependency-cruiser').IConfiguration}
 */
const DOMAINS = 'packages/core/src/domains/([^/]+)/';

module.exports = {
  forbidden: [
    {
      name: 'no-domain-cycles',
      severity: 'error',
      comment:
        'Domains form a layered graph: an import cycle through two domain folders is a design error (cycles of type imports inside one folder are fine).',
      from: { path: `^${DOMAINS}`, pathNot: '\\.test\\.ts$' },
      // Through helios.ts (the composition root: handlers are typed with HeliosScope) or runtime.ts is no domain cycle.
      to: {
        circular: true,
        // A type-only import (a handler typed with HeliosScope) is no runtime cycle.
        dependencyTypesNot: ['type-only'],
        via: { path: '^packages/core/src/domains/', pathNot: '^packages/core/src/domains/$1/' },
        viaNot: '^packages/core/src/(runtime|helios)\\.ts$',
      },
    },
    {
      name: 'no-vendor-from-core-runtime',
      severity: 'error',
      comment:
        'The runtime, shared helpers, errors and repositories know no cloud: vendor code plugs in through the integrations contract.',
      from: { path: '^packages/core/src/(shared/|errors/|repositories/|db/)' },
      to: { path: '^packages/core/src/domains/(google-workspace|microsoft-365)/' },
    },
    {
      name: 'no-vendor-from-runtime-ts',
      severity: 'error',
      comment:
        'runtime.ts imports nothing from a vendor folder: the providers plug in through the integrations contract.',
      from: { path: '^packages/core/src/runtime\\.ts$' },
      to: { path: '^packages/core/src/domains/(google-workspace|microsoft-365)/' },
    },
    {
      name: 'no-cross-vendor',
      severity: 'error',
      comment:
        'Google and Microsoft code never import each other; what they share lives in domains/integrations/.',
      from: { path: '^packages/core/src/domains/(google-workspace|microsoft-365)/' },
      to: {
        path: '^packages/core/src/domains/(google-workspace|microsoft-365)/',
        pathNot: '^packages/core/src/domains/$1/',
      },
    },
    {
      name: 'domain-imports-through-index',
      severity: 'error',
      comment:
        'Another domain is imported only through its index.ts (its public names), or through the shared domains (policy, sync, integrations).',
      from: { path: `^${DOMAINS}`, pathNot: '\\.test\\.ts$' },
      to: {
        path: '^packages/core/src/domains/([^/]+)/',
        pathNot: [
          '^packages/core/src/domains/$1/',
          '^packages/core/src/domains/[^/]+/index\\.ts$',
          '^packages/core/src/domains/(policy|sync|integrations)/',
        ],
      },
    },
    {
      name: 'examples-use-the-public-api',
      severity: 'error',
      comment:
        'Examples show what users write: @helios/core and its documented subpaths, never /internal or a source file.',
      from: { path: '^examples/' },
      to: { path: '(^packages/core/src/|@helios/core/internal|packages/core/dist/internal)' },
    },
    {
      name: 'no-internal-from-core-sources',
      severity: 'error',
      comment:
        'Core sources import by relative path; only tests and other packages use the package entry points.',
      from: { path: '^packages/core/src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^packages/core/src/internal\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|\\.turbo)/' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
