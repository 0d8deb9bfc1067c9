import type { FastifyInstance } from 'fastify';
import { OAuthError } from '../core/errors.ts';

/** A parsed `application/x-www-form-urlencoded` body: every value list, in order. */
export type FormBody = Readonly<Record<string, readonly string[]>>;

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** Registers the form parser: keeps repeated parameters so handlers can refuse them. */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string' }, (_req, body, done) => {
    const out: Record<string, string[]> = Object.create(null);
    try {
      for (const [k, v] of new URLSearchParams(body as string)) (out[k] ??= []).push(v);
    } catch {
      done(OAuthError.invalidRequest('malformed form body'), undefined);
      return;
    }
    done(null, out);
  });
}

export function isFormBody(body: unknown): body is FormBody {
  return typeof body === 'object' && body !== null && Object.getPrototypeOf(body) === null;
}

/**
 * Every OAuth parameter name (IANA "OAuth Parameters" registry) has this shape. A name the client
 * sent is quoted in an error only when it has it: anything else (quotes, backslashes, CR/LF,
 * non-ASCII) is attacker-chosen text that must not reach a description or a header.
 */
const PARAMETER_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const nameOf = (k: string) => (PARAMETER_NAME.test(k) ? `parameter '${k}'` : 'a parameter');

/**
 * Reads the form body of an OAuth endpoint. RFC 6749 §3.1: "Request and response parameters
 * MUST NOT be included more than once" and "Parameters sent without a value MUST be treated as if
 * they were omitted". `multi` lists parameters that may repeat (RFC 8707 `resource`).
 */
export function readOAuthForm(body: unknown, multi: readonly string[] = []): { single: Record<string, string>; multi: Record<string, string[]> } {
  if (!isFormBody(body)) throw OAuthError.invalidRequest(`content type must be ${FORM_CONTENT_TYPE}`);
  const single: Record<string, string> = Object.create(null);
  const many: Record<string, string[]> = Object.create(null);
  for (const k in body) {
    const values = body[k]!;
    // The usual case, one non-empty value, without building a filtered copy.
    if (values.length === 1 && values[0] !== '') {
      if (multi.includes(k)) many[k] = [values[0]!];
      else single[k] = values[0]!;
      continue;
    }
    const present = values.filter((v) => v !== '');
    if (present.length === 0) continue;
    if (multi.includes(k)) {
      many[k] = present;
      continue;
    }
    if (values.length > 1) throw OAuthError.invalidRequest(`${nameOf(k)} is included more than once`);
    single[k] = present[0]!;
  }
  return { single, multi: many };
}
