/**
 * The one stylesheet of the pages (served as /assets/gatehouse.css). Colours come from the
 * generated /assets/theme.css (config `theme.*`) through CSS custom properties. Kept as a
 * module so the compiled server needs no file copying. Focus is always visible (WCAG 2.4.7).
 */
export const GATEHOUSE_CSS = `
*, *::before, *::after { box-sizing: border-box; }
html { font-size: 100%; -webkit-text-size-adjust: 100%; }
body {
  margin: 0; min-height: 100vh; display: flex; flex-direction: column; align-items: center;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  line-height: 1.5; color: #1f2937; background: var(--gh-bg, #f4f6fb);
}
.gh-skip { position: absolute; left: -999px; top: 0; padding: .5rem 1rem; background: #fff; color: #111; }
.gh-skip:focus { left: 1rem; top: 1rem; z-index: 10; }
.gh-header { width: 100%; max-width: 28rem; padding: 2rem 1rem 1rem; display: flex; align-items: center; gap: .75rem; }
.gh-logo { max-height: 2.5rem; max-width: 10rem; }
.gh-product { font-size: 1.25rem; font-weight: 600; margin: 0; }
.gh-main { width: 100%; max-width: 28rem; padding: 0 1rem 2rem; }
.gh-card { background: #fff; border-radius: .75rem; padding: 1.75rem 1.5rem; box-shadow: 0 1px 3px rgba(0,0,0,.12), 0 8px 24px rgba(0,0,0,.06); }
h1 { font-size: 1.375rem; margin: 0 0 1rem; line-height: 1.3; }
p { margin: 0 0 1rem; }
.gh-muted { color: #4b5563; font-size: .9375rem; }
.gh-field { margin: 0 0 1rem; }
.gh-field label { display: block; font-weight: 600; margin-bottom: .25rem; }
.gh-field input {
  width: 100%; padding: .625rem .75rem; font: inherit; color: inherit;
  border: 1px solid #9ca3af; border-radius: .375rem; background: #fff;
}
.gh-actions { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1.25rem; }
.gh-button {
  display: inline-flex; align-items: center; justify-content: center; min-height: 2.75rem;
  padding: .5rem 1.25rem; font: inherit; font-weight: 600; border-radius: .375rem; cursor: pointer;
  border: 2px solid var(--gh-primary, #1d4ed8); text-decoration: none;
}
.gh-button-primary { background: var(--gh-primary, #1d4ed8); color: var(--gh-on-primary, #fff); flex: 1 1 auto; }
.gh-button-secondary { background: #fff; color: var(--gh-primary-text, #1d4ed8); }
.gh-button:hover { filter: brightness(.95); }
a { color: var(--gh-primary-text, #1d4ed8); }
:focus-visible, .gh-field input:focus {
  outline: 3px solid var(--gh-focus, #f59e0b); outline-offset: 2px;
}
.gh-alert { border-radius: .375rem; padding: .75rem 1rem; margin: 0 0 1rem; border: 1px solid #b91c1c; background: #fef2f2; color: #7f1d1d; }
.gh-list { margin: 0 0 1rem; padding-left: 1.25rem; }
.gh-list li { margin: .25rem 0; }
.gh-accounts { list-style: none; margin: 0 0 1rem; padding: 0; display: grid; gap: .5rem; }
.gh-account {
  width: 100%; text-align: left; padding: .75rem 1rem; font: inherit; color: inherit; cursor: pointer;
  background: #fff; border: 1px solid #9ca3af; border-radius: .5rem; display: flex; flex-direction: column;
}
.gh-account:hover { border-color: var(--gh-primary, #1d4ed8); }
.gh-account-name { font-weight: 600; }
.gh-account-detail { color: #4b5563; font-size: .875rem; }
.gh-code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f4f6; padding: .125rem .375rem; border-radius: .25rem; }
.gh-footer { color: #4b5563; font-size: .8125rem; padding: 0 1rem 2rem; }
.gh-hidden { display: none; }
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
`;
