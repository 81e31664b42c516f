// Lint rules: type-aware promise checks, and the layer rule from docs/architecture.md:
// protocol/ and domain/ are pure and never import adapters.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const adapterFolders = ['storage', 'sync', 'http', 'jobs', 'connectors', 'cli', 'catalog', 'fleet', 'main'];
const adapterPatterns = adapterFolders.flatMap((f) => [`../${f}/*`, `../../${f}/*`, `../${f}`, `../../${f}`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', '.tmp/**', 'console/dist/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      'no-console': 'off',
    },
  },
  {
    files: ['src/protocol/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: adapterPatterns, message: 'protocol/ and domain/ are pure: no adapter imports.' },
            {
              group: ['pg', 'better-sqlite3', 'kysely', 'fastify', 'undici'],
              message: 'no I/O libraries here.',
            },
          ],
        },
      ],
    },
  },
  {
    // The SOAP handlers meet the wire encoders' types; a cast to never would silence exactly that check.
    files: ['src/client-service/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSAsExpression TSNeverKeyword',
          message: 'no `as never` in the client service: type the value the encoder expects.',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly' },
    },
  },
);
