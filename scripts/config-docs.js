#!/usr/bin/env node
// Rewrites the generated configuration tables of the docs (between `<!-- config:start -->` and
// `<!-- config:end -->`) from the apps' zod configuration schemas. Run after `npm run build`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const { configReferenceMarkdown, replaceGeneratedSection } = require(
  path.join(root, 'dist/libs/config/src/index.js'),
);

const docs = [
  [
    'docs/source-postgres.md',
    require(path.join(root, 'dist/apps/source-postgres/src/index.js')).sourceAppConfigSchema,
  ],
  [
    'docs/sink-postgres.md',
    require(path.join(root, 'dist/apps/sink-postgres/src/index.js')).sinkPostgresAppConfigSchema,
  ],
  ['docs/sink-http.md', require(path.join(root, 'dist/apps/sink-http/src/index.js')).sinkHttpAppConfigSchema],
];
for (const [file, schema] of docs) {
  const full = path.join(root, file);
  fs.writeFileSync(
    full,
    replaceGeneratedSection(fs.readFileSync(full, 'utf8'), configReferenceMarkdown(schema)),
  );
  console.log(`config-docs: ${file}`);
}
