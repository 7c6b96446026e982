// Lint rules that keep the layers one-way (STYLE.md): apps → libs, libs never import apps, libs
// never import a lib on a higher floor, no deep imports into another lib's internals. Import cycles
// are checked by dpdm (npm run lint).
import { existsSync, readdirSync } from 'node:fs';
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

// The floors of the libs, lowest first, as the imports between them stand. A lib imports libs on
// its own floor or below, never above; apps stand on all floors. Within a floor imports may go
// either way (sink-http uses pipeline's expressions), but never round: dpdm rejects the cycle.
//   base        errors; config (uses errors)
//   clients     the Kafka client and topics; logging, tracing, metrics
//   schema      Avro schemas, serde, the registry client
//   runtime     the stream runtime (ordering, retry, DLQ, transactions)
//   connectors  the source, the pipeline, the sinks, and the management API they serve
//   tools       what the CLI, the demo and the Helm chart build on: DLQ and replay tooling, the
//               schema catalog, the local stack, topic plans, the demo
// A new lib gets a floor here, or lint stops at loading this file.
// Floors of libs, lowest first: a lib imports only libs on its own floor or below. A lib named
// nowhere here is a connector (one folder plus its registration in libs/connectors).
const NAMED_FLOORS = [
  ['base', ['errors', 'config']],
  ['clients', ['kafka', 'observability', 'webhook-signing']],
  ['schema', ['schema']],
  ['runtime', ['stream', 'management']],
  ['framework', ['connect']],
  ['connectors', ['postgres-cdc', 'pipeline', 'sink-http', 'sink-postgres']],
  ['catalogue', ['connectors']],
  ['tools', ['dead-letter-queue', 'replay', 'schema-catalog', 'stack', 'topic-plan', 'demo', 'console']],
];
const named = NAMED_FLOORS.flatMap(([, libs]) => libs);
const connectorLibs = readdirSync(new URL('./libs', import.meta.url)).filter(
  (lib) => existsSync(new URL(`./libs/${lib}/src/index.ts`, import.meta.url)) && !named.includes(lib),
);
const FLOORS = NAMED_FLOORS.map(([floor, libs]) =>
  floor === 'connectors' ? [floor, [...libs, ...connectorLibs]] : [floor, libs],
);

const layers = {
  files: ['libs/**/*.ts'],
  plugins: { boundaries },
  settings: {
    'import/resolver': { typescript: { project: './tsconfig.json' } },
    'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
    'boundaries/elements': FLOORS.flatMap(([floor, libs]) =>
      libs.map((lib) => ({ type: floor, pattern: `libs/${lib}`, partialMatch: false })),
    ),
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'allow',
        policies: FLOORS.slice(0, -1).map(([floor], i) => ({
          from: { element: { type: floor } },
          disallow: { to: { element: { types: FLOORS.slice(i + 1).map(([above]) => above) } } },
          message:
            `{{dependency.source}} is on floor '{{to.type}}', above '${floor}': a lib imports only ` +
            'libs on its own floor or below (FLOORS in eslint.config.mjs).',
        })),
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.sluice/**', 'bench/results/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@sluice/*/*'],
              message: 'Import a lib through its public index (@sluice/<lib>), not its internals.',
            },
            { group: ['**/apps/**', '../../apps/*'], message: 'Libs and tests never import apps.' },
          ],
        },
      ],
      'no-duplicate-imports': 'error',
    },
  },
  {
    // libs may not reach into each other by relative path either
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@sluice/*/*'], message: 'Import a lib through its public index (@sluice/<lib>).' },
            {
              group: ['../../*/src/*', '../../../*/src/*', '**/apps/**'],
              message: 'No deep imports across libs; libs never import apps.',
            },
          ],
        },
      ],
    },
  },
  layers,
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
