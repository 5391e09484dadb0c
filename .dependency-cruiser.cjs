// The layer rule of docs/ARCHITECTURE.md ("Layers"), checked on every `npm test` (`npm run lint:layers`).
// Each folder of src/ may import only the folders listed for it (and itself); a violation fails with
// the rule's name, `<folder>-imports-inward`. Keep this table and the one in ARCHITECTURE.md equal.

// dependency-cruiser reads .ts files through the `typescript` package's JS API. TypeScript 7.0 ships
// none (the type checks use its native tsc, `typescript7`); with it installed as `typescript`
// the cruise would find 0 modules and pass, so fail instead.
const TYPESCRIPT_VERSION = require('typescript/package.json').version;
if (Number(TYPESCRIPT_VERSION.split('.')[0]) >= 7) {
  throw new Error(
    `Cannot check the layers: dependency-cruiser needs the typescript package's JS API, which TypeScript 7.0 lacks: current version ${TYPESCRIPT_VERSION}`,
  );
}

/** Folder → the folders it may import. Everything imports `domain` and `util`. */
const LAYERS = {
  domain: [],
  util: ['domain'],
  observability: ['util', 'domain'],
  auth: ['util', 'domain'],
  limits: ['util', 'domain'],
  redis: ['observability', 'util', 'domain'],
  bus: ['redis', 'observability', 'util', 'domain'],
  presence: ['redis', 'auth', 'observability', 'util', 'domain'],
  'send-rate': ['redis', 'util', 'domain'],
  engine: ['bus', 'observability', 'util', 'domain'],
  cluster: ['redis', 'observability', 'util', 'domain'],
  tracing: ['observability', 'util', 'domain'],
  graphql: ['engine', 'bus', 'presence', 'send-rate', 'cluster', 'auth', 'limits', 'tracing', 'observability', 'util', 'domain'],
  'transport/http': ['graphql', 'engine', 'bus', 'presence', 'cluster', 'auth', 'limits', 'tracing', 'observability', 'util', 'domain'],
  'transport/ws': ['graphql', 'engine', 'bus', 'presence', 'cluster', 'auth', 'limits', 'tracing', 'observability', 'util', 'domain'],
  app: [
    'transport/http',
    'transport/ws',
    'graphql',
    'engine',
    'bus',
    'presence',
    'send-rate',
    'cluster',
    'redis',
    'auth',
    'limits',
    'tracing',
    'observability',
    'util',
    'domain',
  ],
  'runtime/node': ['app', 'transport/http', 'transport/ws', 'limits', 'observability', 'util', 'domain'],
  'runtime/deno': ['app', 'transport/http', 'transport/ws', 'limits', 'observability', 'util', 'domain'],
};

const escape = (folder) => folder.replace(/[/-]/gu, (c) => `\\${c}`);

const layerRules = Object.entries(LAYERS).map(([folder, allowed]) => ({
  name: `${folder.replace('/', '-')}-imports-inward`,
  comment: `src/${folder}/ may import only ${allowed.length === 0 ? 'nothing else of src/' : allowed.map((f) => `src/${f}/`).join(', ')} (docs/ARCHITECTURE.md, "Layers")`,
  severity: 'error',
  from: { path: `^src/${escape(folder)}/` },
  to: {
    path: '^src/',
    pathNot: [`^src/${escape(folder)}/`, ...allowed.map((f) => `^src/${escape(f)}/`)],
  },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'entries-import-app-and-runtime-only',
      comment: 'src/main.ts and src/main-deno.ts start a runtime host with the app; they wire nothing else',
      severity: 'error',
      from: { path: '^src/main(-deno)?\\.ts$' },
      to: { path: '^src/', pathNot: ['^src/(app|runtime|util)/'] },
    },
    {
      name: 'no-circular',
      comment: 'a circle of imports hides which concept depends on which',
      severity: 'error',
      from: { path: '^(src|web|client/src)/' },
      to: { circular: true },
    },
    {
      name: 'no-unfiled-source',
      comment: 'src/ root holds only the entry points (main.ts, main-deno.ts); everything else lives in the folder of its concept',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$', pathNot: '^src/main(-deno)?\\.ts$' },
      to: {},
    },
    {
      name: 'ioredis-only-in-redis',
      comment: 'src/redis/ is the one place that knows Redis; other folders may import ioredis types only',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/redis/' },
      to: { path: '(^|/)node_modules/(ioredis|graphql-redis-subscriptions)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'node-builtins-only-in-runtime',
      comment: "the core is runtime-neutral: node:* modules only in src/runtime/node/ and the entries (Deno's host uses Deno APIs)",
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/runtime/node/', '^src/main\\.ts$'] },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'client-through-its-entry',
      comment: "src/ and web/ use @switchboard/client only through the package's public entry points, never its files",
      severity: 'error',
      from: { path: '^(src|web)/' },
      to: { path: '^client/', pathNot: '^client/src/(index|apollo-link|urql-exchange)\\.ts$' },
    },
    {
      name: 'web-reaches-src-for-types-only',
      comment: "web/ (browser code) may import src/ only for types (the options a page is started with)",
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^src/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|bench/dist|web/dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['development', 'import', 'types', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
