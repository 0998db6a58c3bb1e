// Writes docs/settings.md, every analysis's settings, from the tables the
// engine declares (src/analysis/settings.h), as `strata analyze --list --json`
// prints them:
//
//   build/native/strata analyze --list --json | node scripts/settings-doc.mjs > docs/settings.md
//
// tests/node/settings.test.mjs checks that the file is current.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cell = (text) => String(text).replaceAll('|', '\\|');

function valueText(row) {
  if (row.default === null) return row.per_model ? 'set by the model' : 'none';
  return `\`${JSON.stringify(row.default)}\``;
}

function allowedText(row) {
  if (row.type === 'integer' || row.type === 'number') return `${row.type} in [${row.min}, ${row.max}]`;
  if (row.type === 'choice') return row.choices.map((c) => `\`"${c}"\``).join(' \\| ');
  if (row.type === 'name list') return `array of ${row.choices.map((c) => `\`"${c}"\``).join(' ')}`;
  if (row.type === 'names') return 'array of names';
  if (row.type === 'shard') return '[index, count], 0 ≤ index < count ≤ 4096';
  if (row.type === 'flag') return 'true \\| false';
  return 'text';
}

// The markdown for the list `strata analyze --list --json` prints.
export function settingsMarkdown(list) {
  const lines = [
    '# Analysis settings',
    '',
    'Every setting of every analysis, written from the tables the engine declares',
    '(`src/analysis/settings.h`; each analysis\'s table sits beside its runner) by',
    '`scripts/settings-doc.mjs`. `strata analyze --settings FILE.json` takes',
    '`{"<analysis>": {"<setting>": value}}`; a setting left out takes its default,',
    'and an unknown or out-of-range one is refused with one line naming it. The',
    'page and `strata analyze --list --json` read the same tables. "set by the',
    'model": the default or the range depends on the loaded model, as the line',
    'says.',
  ];
  for (const analysis of list) {
    lines.push('', `## ${analysis.name}`, '', analysis.description, '');
    lines.push('| setting | default | allowed | what it does |', '|---|---|---|---|');
    for (const row of analysis.settings) {
      const when = row.applies ? ` (${row.applies} only)` : '';
      lines.push(`| \`${row.name}\` | ${valueText(row)} | ${allowedText(row)} | ${cell(row.doc)}${when} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(settingsMarkdown(JSON.parse(readFileSync(0, 'utf8'))));
}
