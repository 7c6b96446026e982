#!/usr/bin/env node
// Bundles the console's front end (apps/console/web: Preact + htm, TypeScript) with esbuild into
// dist/apps/console/public (app.js, app.css, index.html), which the console app serves: no CDN
// at run time. Part of `npm run build`; the sources are type-checked there too
// (apps/console/web/tsconfig.json).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const web = path.join(root, 'apps', 'console', 'web');
const out = path.join(root, 'dist', 'apps', 'console', 'public');

fs.mkdirSync(out, { recursive: true });
esbuild.buildSync({
  entryPoints: [path.join(web, 'main.ts')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2022'],
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css']) fs.copyFileSync(path.join(web, file), path.join(out, file));
