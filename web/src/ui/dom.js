// Small DOM helpers. Text always goes in through textContent: no string from a
// URL, a file or a model ever reaches innerHTML.
export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of [].concat(children)) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

export function explanation(text) {
  return el('p', { class: 'explain', text });
}

export function percent(p) {
  if (!Number.isFinite(p)) return '–';
  if (p === 0) return '0%';
  if (p >= 0.1) return `${(p * 100).toFixed(1)}%`;
  if (p >= 0.001) return `${(p * 100).toFixed(2)}%`;
  return `${(p * 100).toExponential(1)}%`;
}

// Tokens are shown as they are, with visible spaces and escapes for control characters.
export function tokenLabel(token) {
  if (token === null || token === undefined) return '(unknown token)';
  return String(token).replace(/ /g, '·').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

// A number with d decimals, or "no value" (never "NaN" or "null" on screen).
export function fixed(x, d = 2) {
  return Number.isFinite(x) ? x.toFixed(d) : 'no value';
}
