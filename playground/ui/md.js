// A small Markdown renderer for the patterns' descriptions (their README
// sections): paragraphs, bullet and numbered lists, **bold**, *italic*,
// `code` and [links](https://...). It escapes every character of the
// source first and emits only its own tags, so no HTML in a description
// ever reaches the page; link targets are limited to http(s) and
// relative paths.
const esc = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

function inline(text) {
  const parts = text.split(/(`[^`]*`)/);
  return parts.map((p) => {
    if (p.length > 1 && p.startsWith('`') && p.endsWith('`')) return `<code>${esc(p.slice(1, -1))}</code>`;
    let h = esc(p);
    h = h.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
    h = h.replace(/(^|[^*\w])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>');
    h = h.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (m, label, href) => {
      const ok = /^(https?:\/\/|\/|\.\.?\/|#)/.test(href) || /^[\w.-]+(\/[\w.-]*)*(#[\w-]*)?$/.test(href);
      return ok ? `<a href="${href}" target="_blank" rel="noopener">${label}</a>` : m;
    });
    return h;
  }).join('');
}

// markdown returns the HTML of a description.
export function markdown(src) {
  const out = [];
  let list = null; // {tag, items: [text]}
  let para = [];
  const flushPara = () => {
    if (para.length) out.push(`<p>${inline(para.join(' '))}</p>`);
    para = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${list.tag}>`);
    list = null;
  };
  for (const raw of (src || '').split('\n')) {
    const line = raw.trimEnd();
    const item = /^\s*([-*]|\d+\.)\s+(.*)$/.exec(line);
    if (line.trim() === '') {
      flushPara();
      flushList();
    } else if (item && (!list || raw.search(/\S/) <= 1)) {
      flushPara();
      const tag = /\d/.test(item[1]) ? 'ol' : 'ul';
      if (list && list.tag !== tag) flushList();
      if (!list) list = { tag, items: [] };
      list.items.push(item[2]);
    } else if (list) {
      list.items[list.items.length - 1] += ` ${line.trim()}`;
    } else {
      para.push(line.trim());
    }
  }
  flushPara();
  flushList();
  return out.join('');
}
