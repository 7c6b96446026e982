// Lint rules that keep the layers one-way (STYLE.md): apps → libs, libs never import apps, no
// deep imports into another lib's internals. Import cycles are checked by dpdm (npm run lint).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
