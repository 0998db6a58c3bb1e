// The notices under the header: each says what it is about ('model', 'report',
// 'run', 'link', …) so that it can be withdrawn when the state it describes goes
// away — a notice about a model that was never opened must not outlive it.
import { el } from './dom.js';

const MAX_NOTICES = 16;

export class Notices {
  constructor(box) {
    this.box = box;
    this.list = [];
    this.shown = new Map();  // notice -> its element
  }

  add(text, kind = 'warning', about = null) {
    if (this.list.some((n) => n.text === text)) return;
    this.list.push({ text, kind, about });
    if (this.list.length > MAX_NOTICES) this.list.shift();
    this.render();
  }

  withdraw(about) {
    const before = this.list.length;
    this.list = this.list.filter((n) => n.about !== about);
    if (this.list.length !== before) this.render();
  }

  // Each notice keeps its element while it stands: the page renders at every
  // step of an analysis, and a rebuilt "×" would lose a click landing across a
  // render (press and release on two different buttons) and the keyboard focus.
  // Notices only join at the end, so appending keeps the list's order.
  render() {
    for (const [n, element] of this.shown) {
      if (this.list.includes(n)) continue;
      element.remove();
      this.shown.delete(n);
    }
    for (const n of this.list) {
      if (this.shown.has(n)) continue;
      const element = el('div', { class: `notice ${n.kind}`, dataset: { about: n.about ?? '' } }, [
        el('span', { text: n.text }),
        el('button', { type: 'button', class: 'dismiss', text: '×', 'aria-label': 'Dismiss this notice', onclick: () => {
          this.list = this.list.filter((x) => x !== n);
          this.render();
        } }),
      ]);
      this.shown.set(n, element);
      this.box.append(element);
    }
  }
}
