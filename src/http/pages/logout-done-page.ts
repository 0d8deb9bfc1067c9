import type { FastifyReply } from 'fastify';
import type { FrontchannelLogout } from '../../core/end-session/types.ts';
import { pageCsp } from '../plugins/security-headers.ts';
import { html } from './html.ts';
import { layout, type Page, type PageKit } from './layout.ts';

export interface SignedOutPageData {
  readonly frontchannel: readonly FrontchannelLogout[];
  /** post_logout_redirect_uri with state, when the RP asked for (and registered) one. */
  readonly continueTo: string | null;
  readonly clientName: string | null;
}

/** A page plus the origins its iframes may load (CSP `frame-src`). */
export interface FramedPage extends Page {
  readonly frameSrc: readonly string[];
}

/**
 * The signed-out page. Front-Channel Logout 1.0 §3: "the OP renders <iframe
 * src="frontchannel_logout_uri"> in a page" for each RP; the frames are hidden and sandboxed
 * (scripts and the RP's own cookies, but no top navigation, popups or forms). With a redirect
 * target, /assets/logout.js follows the "Continue" link once the frames have loaded (RP-Initiated
 * Logout §3: redirection "after the OP has finished notifying the RPs"); without JavaScript the
 * person clicks it.
 */
export function signedOutPage(kit: PageKit, d: SignedOutPageData): FramedPage {
  const script = kit.assets.byName.get('logout.js');
  const frames = d.frontchannel.map(
    (f) =>
      html`<iframe class="gh-frontchannel" src="${f.url}" title="${kit.text('logout.frameTitle')}" hidden sandbox="allow-same-origin allow-scripts" referrerpolicy="no-referrer"></iframe>`,
  );
  const main = html`<h1 id="title">${kit.t('logout.doneHeading')}</h1>
<p>${kit.t('logout.doneBody', { product: kit.productName })}</p>
${
  d.continueTo
    ? html`<p><a id="gh-continue" class="gh-button gh-button-primary" href="${d.continueTo}">${d.clientName ? kit.t('logout.continueTo', { client: d.clientName }) : kit.t('common.continue')}</a></p>`
    : html`<p class="gh-muted">${kit.t('common.closePage')}</p>`
}
${frames}`;
  return {
    status: 200,
    body: layout(kit, { title: kit.text('logout.doneTitle'), main, scripts: d.continueTo && script ? [script] : [] }),
    formAction: [],
    frameSrc: [...new Set(d.frontchannel.map((f) => f.origin))],
  };
}

/** After "Stay signed in": nothing changed, nobody is redirected. */
export function stillSignedInPage(kit: PageKit): Page {
  const main = html`<h1 id="title">${kit.t('logout.stillHeading')}</h1>
<p>${kit.t('logout.stillBody')}</p>`;
  return { status: 200, body: layout(kit, { title: kit.text('logout.stillTitle'), main }), formAction: [] };
}

/**
 * Sends a page whose CSP also admits its iframes: `frame-src` lists exactly the front-channel
 * logout origins (`'none'` without any). Otherwise as `sendPage`: own CSP, no caching.
 */
export function sendFramedPage(reply: FastifyReply, page: FramedPage): FastifyReply {
  const frameSrc = page.frameSrc.length ? page.frameSrc.join(' ') : "'none'";
  return reply
    .code(page.status)
    .header('content-security-policy', `${pageCsp(page.formAction)}; frame-src ${frameSrc}`)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('text/html; charset=utf-8')
    .send(page.body);
}
