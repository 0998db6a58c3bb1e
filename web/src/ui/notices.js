// The notices under the header: each says what it is about ('model', 'report',
// 'run', 'link', …) so that it can be withdrawn when the state it describes goes
// away — a notice about a model that was never opened must not outlive it.
import { clear, el } from './dom.js';

const MAX_NOTICES = 16;

export class Notices {
  constructor(box) {
    this.box = box;
    this.list = [];
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

  render() {
    clear(this.box);
    this.list.forEach((n) => this.box.append(el('div', { class: `notice ${n.kind}`, dataset: { about: n.about ?? '' } }, [
      el('span', { text: n.text }),
      el('button', { type: 'button', class: 'dismiss', text: '×', 'aria-label': 'Dismiss this notice', onclick: () => {
        this.list = this.list.filter((x) => x !== n);
        this.render();
      } }),
    ])));
  }
}
