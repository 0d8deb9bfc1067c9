/**
 * /admin/assets/theme.js: loaded in <head> without defer so the page is painted in the right
 * theme: the remembered choice (localStorage `gh-console-theme`), else the system preference.
 */
export const CONSOLE_THEME_JS = `(function () {
  var saved = null;
  try { saved = localStorage.getItem('gh-console-theme'); } catch (e) {}
  var dark = saved ? saved === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.classList.toggle('dark', dark);
})();
`;

/**
 * /admin/assets/console.js: the console's Alpine components, registered before Alpine starts
 * (the CSP build evaluates no strings, so every behaviour lives here, in a same-origin file).
 * - theme: the light/dark toggle, remembered in localStorage;
 * - modal: a native <dialog> opened with showModal() (the rest of the page is inert, so focus
 *   stays inside; Escape closes it natively; a click on the backdrop closes it): the
 *   confirmation dialog of destructive actions and the edit drawer;
 * - copy: copies a shown-once secret to the clipboard;
 * - dashboard: reloads the tiles from /admin/dashboard.json every 30 s.
 */
export const CONSOLE_JS = `document.addEventListener('alpine:init', function () {
  var Alpine = window.Alpine;
  Alpine.data('theme', function () {
    return {
      dark: document.documentElement.classList.contains('dark'),
      toggle: function () {
        this.dark = !this.dark;
        document.documentElement.classList.toggle('dark', this.dark);
        try { localStorage.setItem('gh-console-theme', this.dark ? 'dark' : 'light'); } catch (e) {}
      },
    };
  });
  Alpine.data('modal', function () {
    return {
      open: function () {
        this.$refs.dialog.showModal();
      },
      close: function () {
        this.$refs.dialog.close();
      },
      backdrop: function (event) {
        if (event && event.target === this.$refs.dialog) this.$refs.dialog.close();
      },
    };
  });
  Alpine.data('copy', function () {
    return {
      copied: false,
      copy: function () {
        var self = this;
        var text = this.$refs.value.textContent.trim();
        if (!navigator.clipboard) return;
        navigator.clipboard.writeText(text).then(function () { self.copied = true; }, function () {});
      },
    };
  });
  Alpine.data('dashboard', function () {
    return {
      updated: '',
      init: function () {
        var self = this;
        this.timer = setInterval(function () { self.load(); }, 30000);
      },
      destroy: function () {
        clearInterval(this.timer);
      },
      load: function () {
        var self = this;
        var root = this.$el;
        fetch(root.getAttribute('data-src'), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) {
            if (!data) return;
            root.querySelectorAll('[data-metric]').forEach(function (el) {
              var v = data.tiles[el.getAttribute('data-metric')];
              if (v !== undefined) el.textContent = v;
            });
            self.updated = new Date().toLocaleTimeString();
          }, function () {});
      },
    };
  });
});
`;
