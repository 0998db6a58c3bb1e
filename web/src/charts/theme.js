// Colours and type shared by the charts (set as SVG attributes so exports keep them).
export const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
export const INK = '#1d2330';
export const MUTED = '#5b6477';
// One meaning per colour across the page: blue is recall and orange reasoning
// (SERIES, in that order, and the diverging 'families' scale: blue towards
// recall, red towards reasoning); purple is an amount (probability, attention,
// share: the sequential scale and probability bars); brown–teal is any other
// signed effect (teal: towards the answer / recovered); green marks the answer;
// a dark frame marks the selection.
export const SERIES = ['#3a6ea5', '#d9822b', '#5a9e6f'];
export const AMOUNT_SERIES = ['#6a51a3', '#8d8d8d'];
export const SIGNED_SERIES = ['#35978f', '#8c510a'];
export const SELECTED = '#1d2330';
export const ANSWER = '#2e7d32';
// The most bars one bar chart draws (more would stall the page and say nothing).
export const MAX_ROWS = 2000;

// The fill of a cell without a value.
export const EMPTY = '#f4f5f8';

// WCAG relative luminance of a colour given as '#rrggbb' or 'rgb(r, g, b)'.
export function luminance(colour) {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  const rgb = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(colour);
  const channels = hex ? hex.slice(1, 4).map((x) => parseInt(x, 16)) : rgb ? rgb.slice(1, 4).map(Number) : [255, 255, 255];
  const [r, g, b] = channels.map((x) => x / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// Text drawn on a cell meets WCAG AA (4.5:1): ink where it reaches that, else
// white or black, whichever contrasts more (one of them always reaches 4.58:1).
export function textColourOn(fill) {
  if (contrast(INK, fill) >= 4.5) return INK;
  return contrast('#ffffff', fill) >= contrast('#000000', fill) ? '#ffffff' : '#000000';
}
