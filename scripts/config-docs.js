#!/usr/bin/env node
// Rewrites the generated configuration table of each connector's doc (between
// `<!-- config:start -->` and `<!-- config:end -->`) from the connector registry: every
// registered connector's zod configuration schema, into the doc its definition names.
// Run after `npm run build`; libs/connectors/src/catalogue.spec.ts fails while a table is stale.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const lib = (name) => require(path.join(root, `dist/libs/${name}/src/index.js`));
const { configReferenceMarkdown, replaceGeneratedSection } = lib('config');
const { CONNECTORS } = lib('connectors');

for (const connector of CONNECTORS) {
  const full = path.join(root, connector.doc);
  fs.writeFileSync(
    full,
    replaceGeneratedSection(fs.readFileSync(full, 'utf8'), configReferenceMarkdown(connector.configSchema)),
  );
  console.log(`config-docs: ${connector.doc} (${connector.name})`);
}

// The console is no connector: its table goes into docs/console.md the same way
// (libs/console/src/config/console-docs.spec.ts fails while it is stale).
const { consoleConfigSchema } = lib('console');
const consoleDoc = path.join(root, 'docs', 'console.md');
fs.writeFileSync(
  consoleDoc,
  replaceGeneratedSection(fs.readFileSync(consoleDoc, 'utf8'), configReferenceMarkdown(consoleConfigSchema)),
);
console.log('config-docs: docs/console.md (console)');
