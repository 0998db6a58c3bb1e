// The view tabs. A tab keeps the keyboard focus after it is activated (the tabs
// are redrawn in place, and focus returns to the tab of the chosen view).
import { el } from './dom.js';

export function renderTabs(nav, views, current, onPick) {
  const focused = nav.contains(document.activeElement) ? document.activeElement.dataset.view : null;
  nav.replaceChildren(...views.map((v) => el('button', {
    type: 'button', class: 'tab', text: v.title, dataset: { view: v.id },
    'aria-current': v.id === current ? 'page' : null,
    onclick: () => onPick(v.id),
  })));
  if (focused) nav.querySelector(`[data-view="${focused}"]`)?.focus();
}
