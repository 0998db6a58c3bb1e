// Exports a chart as SVG or PNG and its data as CSV or JSON, as file downloads.
// Charts draw with attributes (fill, font-family), not page CSS, so an exported
// SVG looks the same outside the page.

export function svgText(svg) {
  const copy = svg.cloneNode(true);
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('version', '1.1');
  const { width, height } = size(svg);
  copy.setAttribute('width', width);
  copy.setAttribute('height', height);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}`;
}

function size(svg) {
  const box = svg.viewBox?.baseVal;
  if (box && box.width) return { width: box.width, height: box.height };
  return { width: Number(svg.getAttribute('width')) || 600, height: Number(svg.getAttribute('height')) || 400 };
}

export function csvText(rows) {
  if (!rows.length) return '';
  const columns = Object.keys(rows[0]);
  const cell = (v) => {
    const s = v === null || v === undefined ? '' : String(v);
    const guarded = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
    return /[",\n\r]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
  };
  return [columns.map(cell).join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function pngBlob(svg, scale = 2) {
  const { width, height } = size(svg);
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText(svg))}`;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.scale(scale, scale);
  ctx.drawImage(image, 0, 0, width, height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG export failed'))), 'image/png'));
}

export async function exportChart(format, { name, svg, rows, json }) {
  if (format === 'svg') download(`${name}.svg`, new Blob([svgText(svg)], { type: 'image/svg+xml' }));
  else if (format === 'png') download(`${name}.png`, await pngBlob(svg));
  else if (format === 'csv') download(`${name}.csv`, new Blob([csvText(rows)], { type: 'text/csv' }));
  else if (format === 'json') download(`${name}.json`, new Blob([JSON.stringify(json ?? rows, null, 1)], { type: 'application/json' }));
}
