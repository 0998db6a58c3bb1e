// The lesson panel: the current step's text with previous/next buttons. Each
// step is a state (view, prompt, selection, ablations), so it is also a link.
// A step's say(data) adds a sentence computed from this model's analyses
// (lessons/index.js); until they have run it says so, never "null" or "NaN".
import { clear, el } from './dom.js';

export function lessonPanel(box, actions) {
  // The step on screen. Renders come whenever an analysis finishes; they only
  // swap the computed sentence, so a button being pressed is never replaced
  // under the pointer (a click whose press and release land on two different
  // buttons is lost) and keeps the keyboard focus.
  let shown = null;
  return {
    update(data, lesson) {
      box.hidden = !lesson;
      if (!lesson) {
        clear(box);
        shown = null;
        return;
      }
      const k = Math.min(data.state.step, lesson.steps.length - 1);
      const step = lesson.steps[k];
      if (shown?.lesson === lesson && shown.k === k) {
        const said = figure(step, data);
        if (said) box.querySelector('#lesson-figure').replaceWith(said);
        return;
      }
      shown = { lesson, k };
      clear(box);
      const last = k === lesson.steps.length - 1;
      // Node.append writes a null child as the text "null": absent parts are filtered out.
      box.append(...[
        el('div', { class: 'lesson-head' }, [
          el('span', { class: 'lesson-title', text: lesson.title }),
          el('span', { class: 'lesson-count', id: 'lesson-count', text: `step ${k + 1} of ${lesson.steps.length}` }),
        ]),
        el('h3', { id: 'lesson-step-title', text: step.title }),
        el('p', { id: 'lesson-text', text: step.text }),
        figure(step, data),
        step.ask ? el('p', { class: 'lesson-ask', text: step.ask }) : null,
        el('div', { class: 'lesson-nav' }, [
          el('button', { type: 'button', id: 'lesson-prev', text: '← Back', disabled: k === 0, onclick: () => actions.goToStep(lesson.id, k - 1) }),
          last ? el('button', { type: 'button', id: 'lesson-end', class: 'primary', text: 'Finish the lesson', onclick: () => actions.endLesson() })
            : el('button', { type: 'button', id: 'lesson-next', class: 'primary', text: 'Next →', onclick: () => actions.goToStep(lesson.id, k + 1) }),
        ]),
      ].filter(Boolean));
    },
  };
}

// The step's computed sentence, with the figures it states as data-claim.
function figure(step, data) {
  if (!step.say) return null;
  const said = step.say(data);
  return el('p', {
    id: 'lesson-figure',
    class: said.pending ? 'lesson-figure note' : 'lesson-figure',
    text: said.text,
    dataset: said.pending ? { pending: 'true' } : { claim: JSON.stringify(said.claim ?? {}) },
  });
}
