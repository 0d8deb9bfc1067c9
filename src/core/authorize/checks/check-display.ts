import { OAuthError } from '../../errors.ts';
import { param, spaceList, type Params } from './params.ts';

/** OIDC Core §3.1.2.1 display values. */
const DISPLAYS = ['page', 'popup', 'touch', 'wap'];
/** Longest login_hint kept (an e-mail address or a username). */
const MAX_LOGIN_HINT_LENGTH = 256;

/**
 * OIDC Core §3.1.2.1 display: "ASCII string value that specifies how the Authorization Server
 * displays the authentication and consent user interface pages to the End-User. The defined
 * values are: page, popup, touch, wap". Anything else is invalid_request; every defined value
 * gets the same responsive page.
 */
export function checkDisplay(params: Params): string | null {
  const display = param(params, 'display');
  if (display === undefined) return null;
  if (!DISPLAYS.includes(display)) throw OAuthError.invalidRequest('display must be page, popup, touch or wap');
  return display;
}

/**
 * OIDC Core §3.1.2.1 ui_locales: "End-User's preferred languages and scripts for the user
 * interface, represented as a space-separated list of BCP47 [RFC5646] language tag values,
 * ordered by preference." A hint: tags are kept if they look like BCP 47, others dropped.
 */
export function checkUiLocales(params: Params): readonly string[] {
  return spaceList(params, 'ui_locales', { items: 16, length: 256 }).filter((t) => /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(t));
}

/**
 * OIDC Core §3.1.2.1 login_hint: "Hint to the Authorization Server about the login identifier the
 * End-User might use to log in". Only prefills the sign-in form; an oversized hint is refused.
 */
export function checkLoginHint(params: Params): string | null {
  const hint = param(params, 'login_hint');
  if (hint === undefined) return null;
  if (hint.length > MAX_LOGIN_HINT_LENGTH) throw OAuthError.invalidRequest('login_hint is too long');
  return hint;
}
