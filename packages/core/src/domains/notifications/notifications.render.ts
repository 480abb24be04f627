/**
 * Rendering email templates: `{{variable}}` placeholders (mustache-style, no sections, no raw
 * output). Values are HTML-escaped in the HTML body and inserted as they are in the subject and the
 * text body; the subject never carries a line break (no header injection). A template may only use
 * the variables it declares, links in its HTML are http(s) only, and a variable declared as a `url`
 * must be an absolute http(s) URL.
 */
import { NOTIFICATIONS_ERRORS } from './notifications.errors';

/** One variable a template declares. */
export interface TemplateVariable {
  /** The placeholder's name: `{{name}}` (letters, digits and `_`, not starting with a digit). */
  name: string;
  /** What it holds (for the people editing the template). */
  description?: string;
  /** Whether a send must give it (default true); an optional one renders as empty text. */
  required?: boolean;
  /** `url`: an absolute http(s) URL, the only kind allowed at the start of an `href`/`src`. Default `text`. */
  kind?: 'text' | 'url';
}

/** What a template is made of. */
export interface TemplateContent {
  /** The template's key (for error messages). */
  key: string;
  subject: string;
  bodyHtml: string;
  /** Null: the text body is derived from the HTML body. */
  bodyText: string | null;
  variables: readonly TemplateVariable[];
}

/** A variable's value. Null or undefined counts as not given. */
export type TemplateValue = string | number | boolean | null | undefined;

/** A rendered message. */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** A variable name. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;
const LINK_ATTRIBUTE =
  /\b(?:href|src|action|formaction|background|poster)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;
const LINK_START = /^\s*(?:https?:\/\/|\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\})/i;
const LINE_BREAKS = /[\r\n\u0085\u2028\u2029]+/g;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
  '=': '&#61;',
};

/** `value` with the HTML-significant characters escaped (safe in text and in quoted attributes). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`=]/g, (c) => HTML_ESCAPES[c]!);
}

/** The placeholders `text` uses, in order of first use. */
function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/**
 * Checks a template: every placeholder is well-formed and declared, and every link in the HTML
 * body starts with `http://`, `https://` or a `url` variable.
 * @throws HeliosError INVALID_INPUT `NOTIFICATIONS.INVALID_TEMPLATE`
 */
export function checkTemplate(template: TemplateContent): void {
  const invalid = (reason: string, extra: { field?: string; variable?: string } = {}) =>
    NOTIFICATIONS_ERRORS.INVALID_TEMPLATE({ templateKey: template.key, reason, ...extra });
  const declared = new Map<string, TemplateVariable>();
  for (const variable of template.variables) {
    if (!VARIABLE_NAME.test(variable.name))
      throw invalid(`"${variable.name}" is not a valid variable name`, { field: 'variables' });
    if (declared.has(variable.name))
      throw invalid(`the variable "${variable.name}" is declared twice`, { field: 'variables' });
    declared.set(variable.name, variable);
  }
  const fields: Array<[string, string | null]> = [
    ['subject', template.subject],
    ['bodyHtml', template.bodyHtml],
    ['bodyText', template.bodyText],
  ];
  for (const [field, text] of fields) {
    if (text === null) continue;
    if (text.includes('{{{') || text.replace(PLACEHOLDER, '').includes('{{')) {
      throw invalid(
        `${field} has a malformed placeholder: write {{name}} (raw {{{...}}} output is not supported)`,
        { field },
      );
    }
    for (const name of placeholdersOf(text)) {
      if (!declared.has(name))
        throw invalid(`${field} uses {{${name}}}, which the template does not declare`, {
          field,
          variable: name,
        });
    }
  }
  for (const match of template.bodyHtml.matchAll(LINK_ATTRIBUTE)) {
    const value = match[1] ?? match[2] ?? match[3] ?? '';
    const start = LINK_START.exec(value);
    if (!start)
      throw invalid(
        `links must start with http:// or https:// (or a url variable), found "${value.slice(0, 80)}"`,
        { field: 'bodyHtml' },
      );
    if (start[1] && declared.get(start[1])?.kind !== 'url') {
      throw invalid(`{{${start[1]}}} starts a link, so it must be declared with kind "url"`, {
        field: 'bodyHtml',
        variable: start[1],
      });
    }
  }
}

/** A text body from an HTML body: tags dropped, the common entities decoded, blank runs collapsed. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr)\s*>/gi, '\n')
    .replace(
      /<a\b[^>]*\bhref\s*=\s*"([^"]*)"[^>]*>([\s\S]*?)<\/a\s*>/gi,
      (_, href: string, label: string) => `${label} (${href})`,
    )
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&#61;/g, '=')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Renders a template with `values`.
 *
 * @throws HeliosError INVALID_INPUT `NOTIFICATIONS.UNKNOWN_VARIABLE` (a value the template does not
 *   declare), `NOTIFICATIONS.MISSING_VARIABLE` (a required one not given), `NOTIFICATIONS.INVALID_LINK`
 *   (a `url` variable that is not an absolute http(s) URL), `NOTIFICATIONS.INVALID_TEMPLATE`
 * @example
 * ```ts
 * const mail = renderTemplate(template, { firstName: 'Ada', portalUrl: 'https://portal.acme.com' });
 * ```
 */
export function renderTemplate(
  template: TemplateContent,
  values: Readonly<Record<string, TemplateValue>>,
): RenderedEmail {
  checkTemplate(template);
  const declared = new Map(template.variables.map((v) => [v.name, v]));
  const unknown = Object.keys(values).filter((name) => !declared.has(name));
  if (unknown.length > 0) {
    throw NOTIFICATIONS_ERRORS.UNKNOWN_VARIABLE({
      templateKey: template.key,
      variables: unknown,
      declared: [...declared.keys()],
    });
  }
  const text = new Map<string, string>();
  const missing: string[] = [];
  for (const variable of template.variables) {
    const raw = Object.hasOwn(values, variable.name) ? values[variable.name] : undefined;
    const value = raw === null || raw === undefined ? '' : String(raw);
    if (value.trim() === '' && variable.required !== false) missing.push(variable.name);
    if (value !== '' && variable.kind === 'url' && !isHttpUrl(value)) {
      throw NOTIFICATIONS_ERRORS.INVALID_LINK({
        templateKey: template.key,
        variable: variable.name,
      });
    }
    text.set(variable.name, value);
  }
  if (missing.length > 0)
    throw NOTIFICATIONS_ERRORS.MISSING_VARIABLE({ templateKey: template.key, variables: missing });
  const fill = (source: string, encode: (value: string) => string) =>
    source.replace(PLACEHOLDER, (_, name: string) => encode(text.get(name) ?? ''));
  const subject = withoutControlCharacters(
    fill(template.subject, (v) => v.replace(LINE_BREAKS, ' ')).replace(LINE_BREAKS, ' '),
  ).trim();
  const html = fill(template.bodyHtml, escapeHtml);
  const body =
    template.bodyText !== null && template.bodyText.trim() !== ''
      ? fill(template.bodyText, (v) => v)
      : htmlToText(html);
  return { subject, html, text: body };
}

/** `value` without C0 control characters and DEL (after line breaks became spaces): none belongs in a header. */
function withoutControlCharacters(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (code >= 0x20 && code !== 0x7f) out += char;
  }
  return out;
}

/** True for an absolute http: or https: URL with a host. */
export function isHttpUrl(value: string): boolean {
  if (/\s/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
