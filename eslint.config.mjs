// Lint rules that keep the layers one-way (STYLE.md): apps → libs, libs never import apps, no
// deep imports into another lib's internals, no import cycles.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.sluice/**', 'bench/results/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    languageOptions: { parserOptions: { projectService: false } },
    settings: { 'import-x/resolver': { typescript: true, node: true } },
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
      'import-x/no-duplicates': 'error',
      'import-x/no-cycle': ['error', { maxDepth: 10 }],
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
