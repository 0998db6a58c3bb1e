// The views, in tab order, and how one is mounted: its update runs behind a guard,
// so a view that cannot draw its data (a report whose results do not fit, a shape
// no chart can hold) says why in the view instead of leaving it blank.
import { clear, el } from '../ui/dom.js';
import * as ablationView from './ablation.js';
import * as attentionView from './attention.js';
import * as attributionView from './attribution.js';
import * as flowView from './attention-flow.js';
import * as lensView from './lens.js';
import * as lessonsView from './lessons.js';
import * as modelView from './model-prompt.js';
import * as neuronsView from './neurons.js';
import * as patchingView from './patching.js';
import * as studyView from './recall-reasoning.js';

export const VIEWS = [modelView, attentionView, flowView, lensView, attributionView, patchingView, ablationView, studyView, neuronsView, lessonsView];

export function mountView(main, view, actions) {
  clear(main);
  main.dataset.view = view.id;
  const problem = el('div', { class: 'view-problem', id: 'view-problem' });
  main.append(problem);
  const inner = view.mount(main, actions);
  if (view.methods) main.querySelector('h2')?.after(methodLinks(view.methods));
  let lost = null;  // the focused control, until a redraw brings it back
  return {
    update(data) {
      clear(problem);
      const focused = focusSelector(main) ?? (document.activeElement === document.body ? lost : null);
      try {
        inner.update(data);
      } catch (error) {
        problem.append(el('p', { class: 'error', role: 'alert', id: 'view-error',
          text: `This view cannot draw ${data.report ? 'the open report\'s results' : 'these results'}: ${error.message}.` }));
      }
      lost = null;
      if (focused && (document.activeElement === document.body || !document.activeElement?.isConnected)) {
        const again = main.querySelector(focused);
        if (again) again.focus();
        else lost = focused;
      }
    },
  };
}

// Links to the sections of the methods page that define what a view shows; they
// open in a new tab so the view and its link stay as they are.
function methodLinks(methods) {
  const links = methods.flatMap(([text, section], i) => [i ? ' · ' : '',
    el('a', { href: `./methods.html#${section}`, target: '_blank', rel: 'noopener', text })]);
  return el('p', { class: 'method-links' }, ['How it is computed: ', ...links]);
}

// Views redraw their controls on every update; the control that had the keyboard
// focus is found again by what identifies it (its chart, id and data attributes).
const IDENTITY = ['id', 'data-layer', 'data-head', 'data-row', 'data-col', 'data-ablation', 'data-export', 'data-lesson', 'data-circuit',
  'data-cancel', 'data-retry'];

function focusSelector(main) {
  const node = document.activeElement;
  if (!node || !main.contains(node) || node === main) return null;
  const chart = node.closest('figure[data-chart]');
  const attrs = IDENTITY.filter((a) => node.hasAttribute(a)).map((a) => `[${a}="${CSS.escape(node.getAttribute(a))}"]`).join('');
  if (!attrs) return null;
  return `${chart ? `figure[data-chart="${CSS.escape(chart.dataset.chart)}"] ` : ''}${node.tagName.toLowerCase()}${attrs}`;
}
