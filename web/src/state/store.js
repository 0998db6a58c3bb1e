// The page's state and its URL: the one module that reads and writes `location`
// and the history. A change of view or lesson step pushes a history entry (so the
// browser's Back and Forward move between views and steps); any other change
// replaces the current entry. Switching model resets what belongs to a model.
import { describeAblation } from './interventions.js';
import { formatHash, parseHash } from './url-state.js';

// Fields whose values mean something only for the model they were chosen on.
const PER_MODEL = { interventions: [], layer: 0, head: 0, item: null, hub: null, hubFiles: null, checkpoint: null };

export class StateStore {
  constructor() {
    this.state = parseHash('').state;
  }

  // -> notices about fields of the link that were refused
  read() {
    const { state, notices } = parseHash(location.hash);
    this.state = state;
    return notices;
  }

  // Writes the state to the URL; `push` adds a history entry instead of replacing.
  write({ push = false } = {}) {
    const hash = formatHash(this.state);
    const target = hash === '#' ? location.pathname + location.search : hash;
    if (hash === location.hash || (hash === '#' && !location.hash)) return;
    if (push) history.pushState(null, '', target);
    else history.replaceState(null, '', target);
  }

  // True when the patch moves to another view or lesson step (a history entry).
  static isNavigation(state, patch) {
    return ['view', 'lesson', 'step'].some((f) => patch[f] !== undefined && patch[f] !== state[f]);
  }

  // The patch that resets the per-model fields, and a sentence naming what it
  // clears (null when nothing was set).
  perModelReset() {
    const s = this.state;
    const cleared = [];
    if (s.interventions.length) cleared.push(`the ablations (${s.interventions.map(describeAblation).join(', ')})`);
    if (s.layer !== 0 || s.head !== 0) cleared.push(`the selected layer ${s.layer} and head ${s.head}`);
    if (s.item !== null) cleared.push(`the suite item ${s.item}`);
    return { patch: { ...PER_MODEL, interventions: [] }, cleared: cleared.length ? joinList(cleared) : null };
  }
}

export function joinList(parts) {
  return parts.length < 2 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

// "Copy link": the URL (the whole state) to the clipboard, and shown in a field
// beside the button where the clipboard is not available.
export async function copyLink() {
  const button = document.getElementById('copy-link');
  const field = document.getElementById('share-link');
  field.hidden = false;
  field.value = location.href;
  field.select();
  try {
    await navigator.clipboard.writeText(location.href);
    button.textContent = 'Link copied';
  } catch {
    button.textContent = 'Copy the link beside';
  }
  setTimeout(() => { button.textContent = 'Copy link'; }, 2500);
}
