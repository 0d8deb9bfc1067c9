/**
 * /assets/check-session.js: the OP iframe of OpenID Connect Session Management 1.0 §3.3, served
 * by GET /session/check (a same-origin script: the page's CSP needs no 'unsafe-inline').
 *
 * The RP frame posts `client_id + " " + session_state`; this script recomputes
 *   base64url(SHA-256(client_id + " " + origin + " " + browser_state + " " + salt)) + "." + salt
 * with the browser-state cookie (readable by script; its name is the page's `data-cookie`) and
 * the sender's origin, exactly as the authorization endpoint computed `session_state`, and answers
 * `unchanged`, `changed` or `error` to that origin. No cookie (signed out) is `changed`.
 */
export const CHECK_SESSION_JS = `'use strict';
(function () {
  var cookieName = document.documentElement.getAttribute('data-cookie') || 'gh_browser_state';

  function browserState() {
    var parts = document.cookie ? document.cookie.split(';') : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].replace(/^\\s+/, '');
      var eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq) === cookieName) {
        try { return decodeURIComponent(part.slice(eq + 1)); } catch (e) { return null; }
      }
    }
    return null;
  }

  function base64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }

  window.addEventListener('message', function (e) {
    // Session Management 1.0 §3.3: "the OP iframe MUST enforce that the caller has the same
    // origin as its parent frame. It MUST reject postMessage requests from any other source
    // origin." Only the frame that embeds this page gets an answer.
    if (e.source !== window.parent || window.parent === window) return;
    function reply(status) {
      try { e.source.postMessage(status, e.origin); } catch (err) { /* opaque origin: nobody to answer */ }
    }
    var data = e.data;
    if (typeof data !== 'string' || data.length > 4096) return reply('error');
    var space = data.lastIndexOf(' ');
    if (space <= 0) return reply('error');
    var clientId = data.slice(0, space);
    var sessionState = data.slice(space + 1);
    var dot = sessionState.lastIndexOf('.');
    if (dot <= 0 || dot === sessionState.length - 1) return reply('error');
    var salt = sessionState.slice(dot + 1);
    var state = browserState();
    if (state === null) return reply('changed');
    if (!window.crypto || !window.crypto.subtle) return reply('error');
    var input = new TextEncoder().encode(clientId + ' ' + e.origin + ' ' + state + ' ' + salt);
    window.crypto.subtle.digest('SHA-256', input).then(function (digest) {
      reply(base64url(digest) + '.' + salt === sessionState ? 'unchanged' : 'changed');
    }, function () { reply('error'); });
  }, false);
})();
`;
