// Colours and type shared by the charts (set as SVG attributes so exports keep them).
export const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
export const INK = '#1d2330';
export const MUTED = '#5b6477';
export const SERIES = ['#3a6ea5', '#d9822b', '#5a9e6f'];
export const ANSWER = '#2e7d32';
