/**
 * /assets/logout.js: the signed-out page's continuation (no inline script, so the page's CSP needs
 * no 'unsafe-inline'). Front-Channel Logout 1.0 §3 renders one iframe per RP; RP-Initiated Logout
 * §3: "The post-logout redirection is performed after the OP has finished notifying the RPs".
 * Once every iframe has loaded — or after `data-wait-ms` (default 3 s), since an RP may never
 * answer — the browser follows the page's "Continue" link (`#gh-continue`). Without JavaScript the
 * link stays there to click.
 */
export const LOGOUT_JS = `'use strict';
(function () {
  var link = document.getElementById('gh-continue');
  if (!link) return;
  var frames = document.querySelectorAll('iframe.gh-frontchannel');
  var pending = frames.length;
  var done = false;
  function go() {
    if (done) return;
    done = true;
    window.location.assign(link.href);
  }
  function loaded() {
    pending -= 1;
    if (pending <= 0) go();
  }
  if (pending === 0) return go();
  for (var i = 0; i < frames.length; i++) {
    frames[i].addEventListener('load', loaded, { once: true });
    frames[i].addEventListener('error', loaded, { once: true });
  }
  var wait = Number(link.getAttribute('data-wait-ms'));
  setTimeout(go, wait > 0 ? wait : 3000);
})();
`;
