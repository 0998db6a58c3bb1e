// Lessons: the list of guided lessons. Starting one puts its first step's state
// in the URL; the lesson panel then leads from step to step, and "Copy link" shares any step.
import { el, explanation } from '../ui/dom.js';
import { LESSONS } from '../lessons/index.js';

export const id = 'lessons';
export const title = 'Lessons';

const EXPLAIN = 'Short guided tours for a class. Each step opens a view with a prompt already chosen and says what to '
  + 'look for; every step is a link, so a teacher can send students straight to it. When a step says what the model '
  + 'does, the figure is computed from the open model when the step is shown.';

export function mount(container, actions) {
  const list = el('ol', { class: 'lesson-list', id: 'lesson-list' });
  container.append(el('h2', { text: title }), explanation(EXPLAIN), el('section', { class: 'panel' }, [list]));
  return {
    update(data) {
      list.replaceChildren(...LESSONS.map((l) => el('li', { dataset: { lesson: l.id } }, [
        el('h3', { text: l.title }),
        el('p', { text: l.summary }),
        el('p', { class: 'note', text: `${l.steps.length} steps: ${l.steps.map((s) => s.title).join(' · ')}` }),
        el('button', { type: 'button', class: 'primary start-lesson', text: data.state.lesson === l.id ? 'Restart' : 'Start', dataset: { lesson: l.id }, onclick: () => actions.startLesson(l.id) }),
      ])));
    },
  };
}
