import type { FastifyReply } from 'fastify';
import { html } from './html.ts';
import type { PageKit } from './layout.ts';

/**
 * OIDC Session Management 1.0 §3.3: the OP iframe (`check_session_iframe`). No content, one
 * same-origin script (/assets/check-session.js) that answers the RP frame's postMessage; the
 * browser-state cookie's name travels in `data-cookie`.
 */
export function checkSessionPage(kit: PageKit, cookieName: string): string {
  const script = kit.assets.byName.get('check-session.js');
  return html`<!DOCTYPE html>
<html lang="${kit.lang}" data-cookie="${cookieName}">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex, nofollow">
<title>${kit.text('logout.checkSessionTitle')} · ${kit.productName}</title>
${script ? html`<script src="${kit.assetUrl(script)}"></script>` : ''}
</head>
<body></body>
</html>
`.value;
}

/**
 * The only page any origin may frame (§3.3: the RP embeds it in a hidden iframe):
 * `frame-ancestors *` and no X-Frame-Options. Nothing else may load: no forms, no frames, no
 * connections; the one script comes from this server.
 */
export const CHECK_SESSION_CSP = "default-src 'none'; script-src 'self'; frame-ancestors *; base-uri 'none'; form-action 'none'";

export function sendCheckSessionPage(reply: FastifyReply, body: string): FastifyReply {
  reply.removeHeader('x-frame-options');
  return (
    reply
      .code(200)
      .header('content-security-policy', CHECK_SESSION_CSP)
      // Loaded as a cross-origin frame: an RP page with COEP require-corp must be able to embed it.
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(body)
  );
}
