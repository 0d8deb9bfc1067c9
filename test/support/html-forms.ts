/**
 * A small, generic HTML form reader for flow tests (the real-browser tests use Chromium): finds
 * every `<form>` with its action, method, fields (input, textarea, select) and submit buttons.
 * Regex-based on purpose: the pages are our own server-rendered HTML, not arbitrary markup.
 */

export interface FormField {
  readonly name: string;
  readonly type: string;
  readonly value: string;
  readonly checked: boolean;
}

export interface FormSubmitter {
  readonly name: string | null;
  readonly value: string;
  /** Visible text of a `<button>` (tags stripped), or the value of an `<input type=submit>`. */
  readonly text: string;
}

export interface HtmlForm {
  /** Absolute action URL (resolved against the page URL; the page itself when absent). */
  readonly action: string;
  readonly method: 'GET' | 'POST';
  readonly fields: readonly FormField[];
  readonly submitters: readonly FormSubmitter[];
  /** The form's raw inner HTML (for text assertions). */
  readonly html: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** Attributes of one start tag: `<input type="hidden" name=x value='y' disabled>`. */
export function parseAttributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const body = tag.replace(/^<[a-z0-9-]+/i, '').replace(/\/?>$/, '');
  const re = /([^\s"'<>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    attrs[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

export function textOf(html: string): string {
  return decodeEntities(html.replace(/<script[\s\S]*?<\/script>/gi, '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

function fieldsOf(inner: string): { fields: FormField[]; submitters: FormSubmitter[] } {
  const fields: FormField[] = [];
  const submitters: FormSubmitter[] = [];
  for (const m of inner.matchAll(/<input\b[^>]*>/gi)) {
    const a = parseAttributes(m[0]);
    const type = (a['type'] ?? 'text').toLowerCase();
    if ('disabled' in a) continue;
    if (type === 'submit' || type === 'image') {
      submitters.push({ name: a['name'] ?? null, value: a['value'] ?? '', text: a['value'] ?? '' });
      continue;
    }
    if (type === 'button' || type === 'reset' || !a['name']) continue;
    fields.push({ name: a['name'], type, value: a['value'] ?? (type === 'checkbox' || type === 'radio' ? 'on' : ''), checked: 'checked' in a });
  }
  for (const m of inner.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi)) {
    const a = parseAttributes(`<textarea${m[1]}>`);
    if (a['name'] && !('disabled' in a)) fields.push({ name: a['name'], type: 'textarea', value: decodeEntities(m[2]!), checked: false });
  }
  for (const m of inner.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/gi)) {
    const a = parseAttributes(`<select${m[1]}>`);
    if (!a['name'] || 'disabled' in a) continue;
    const options = [...m[2]!.matchAll(/<option\b([^>]*)>([\s\S]*?)(?=<option\b|$)/gi)].map((o) => {
      const oa = parseAttributes(`<option${o[1]}>`);
      return { value: oa['value'] ?? textOf(o[2]!), selected: 'selected' in oa };
    });
    const chosen = options.find((o) => o.selected) ?? options[0];
    if (chosen) fields.push({ name: a['name'], type: 'select', value: chosen.value, checked: false });
  }
  for (const m of inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
    const a = parseAttributes(`<button${m[1]}>`);
    if ((a['type'] ?? 'submit').toLowerCase() !== 'submit' || 'disabled' in a) continue;
    submitters.push({ name: a['name'] ?? null, value: a['value'] ?? '', text: textOf(m[2]!) });
  }
  return { fields, submitters };
}

/** Every form of a page, with actions resolved against `pageUrl`. */
export function parseForms(html: string, pageUrl: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const a = parseAttributes(`<form${m[1]}>`);
    const method = (a['method'] ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET';
    const action = new URL(a['action'] || pageUrl, pageUrl).href;
    forms.push({ action, method, html: m[2]!, ...fieldsOf(m[2]!) });
  }
  return forms;
}

/**
 * The values a browser would submit: every named field (checked boxes/radios only), then the
 * submitter's name=value when it has a name, then `overrides` (which replace same-named fields).
 */
export function formValues(form: HtmlForm, overrides: Readonly<Record<string, string>> = {}, submitter?: FormSubmitter): URLSearchParams {
  const out = new URLSearchParams();
  for (const f of form.fields) {
    if (f.name in overrides) continue;
    if ((f.type === 'checkbox' || f.type === 'radio') && !f.checked) continue;
    out.append(f.name, f.value);
  }
  if (submitter?.name && !(submitter.name in overrides)) out.append(submitter.name, submitter.value);
  for (const [k, v] of Object.entries(overrides)) out.append(k, v);
  return out;
}
