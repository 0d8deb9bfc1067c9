/**
 * /assets/form-post.js: submits the OAuth 2.0 Form Post Response Mode page (a same-origin
 * script, so the page's CSP needs no 'unsafe-inline'). Without JavaScript the page shows a
 * button inside <noscript>.
 */
export const FORM_POST_JS = `'use strict';
(function () {
  var form = document.getElementById('gh-form-post');
  if (form) form.submit();
})();
`;
