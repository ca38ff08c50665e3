// The scenario editor: a textarea with a line-number gutter that marks the
// lines the parser reported, and a list of the problems (click to jump).
export class Editor {
  constructor(area, gutter, list) {
    this.area = area;
    this.gutter = gutter;
    this.list = list;
    this.bad = new Map(); // line -> message
    area.addEventListener('input', () => this.renderGutter());
    area.addEventListener('scroll', () => { gutter.scrollTop = area.scrollTop; });
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Tab') {
        e.preventDefault();
        area.setRangeText('  ', area.selectionStart, area.selectionEnd, 'end');
        this.renderGutter();
      }
    });
    this.renderGutter();
  }

  get() { return this.area.value; }

  set(text) {
    this.area.value = text;
    this.area.scrollTop = 0;
    this.area.setSelectionRange(0, 0);
    this.clearProblems();
  }

  // insertLine puts a line after the "modules:" line, or at the cursor.
  insertLine(line) {
    const v = this.area.value;
    const m = /^modules:.*$/m.exec(v);
    const at = m ? m.index + m[0].length : this.area.selectionStart;
    this.area.value = `${v.slice(0, at)}\n${line}${v.slice(at)}`;
    this.renderGutter();
  }

  clearProblems() {
    this.bad.clear();
    this.list.textContent = '';
    this.renderGutter();
  }

  showProblems(problems) {
    this.clearProblems();
    for (const p of problems) {
      if (p.line) this.bad.set(p.line, p.message);
      const li = document.createElement('li');
      li.textContent = `${p.line ? `${p.line}:${p.col || 1}` : '-'} ${p.field ? `${p.field}: ` : ''}${p.message}`;
      li.dataset.line = p.line || '';
      li.dataset.col = p.col || '';
      li.onclick = () => this.jump(p.line, p.col);
      this.list.append(li);
    }
    this.renderGutter();
    if (problems[0] && problems[0].line) this.jump(problems[0].line, problems[0].col);
  }

  jump(line, col) {
    if (!line) return;
    const lines = this.area.value.split('\n');
    let off = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
    off += Math.max(0, (col || 1) - 1);
    this.area.focus();
    this.area.setSelectionRange(off, off);
    this.area.scrollTop = Math.max(0, (line - 4) * 16);
  }

  renderGutter() {
    const n = this.area.value.split('\n').length;
    this.gutter.textContent = '';
    for (let i = 1; i <= n; i++) {
      const s = document.createElement('div');
      s.textContent = String(i);
      if (this.bad.has(i)) {
        s.className = 'err';
        s.title = this.bad.get(i);
      }
      this.gutter.append(s);
    }
    this.gutter.scrollTop = this.area.scrollTop;
  }
}
