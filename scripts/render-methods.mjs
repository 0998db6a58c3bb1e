// Renders docs/methods.md into the site as methods.html, one static page whose
// headings carry GitHub-style ids ("### Logit lens" -> #logit-lens), so each
// view of the page can link to the section that defines what it shows.
//
//   node scripts/render-methods.mjs SITE_DIR
//
// The page's links (each view module's `methods`) are checked against these
// ids by tests/browser/views.test.mjs.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Marked } from 'marked';
import { gfmHeadingId } from 'marked-gfm-heading-id';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const site = process.argv[2];
if (!site) {
  console.error('render-methods: usage: node scripts/render-methods.mjs SITE_DIR');
  process.exit(2);
}

const markdown = readFileSync(join(root, 'docs/methods.md'), 'utf8');
// Paths in the text name files of the repository; they stay code, never links.
const body = new Marked({ gfm: true }).use(gfmHeadingId()).parse(markdown);
const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'">
  <title>Strata — methods</title>
  <link rel="stylesheet" href="./methods.css">
</head>
<body>
<nav><a href="./">Back to Strata</a></nav>
<main>
${body}</main>
</body>
</html>
`;
writeFileSync(join(site, 'methods.html'), page);
