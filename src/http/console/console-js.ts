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
      last: null,
      samples: [],
      init: function () {
        var self = this;
        this.load();
        this.timer = setInterval(function () { self.load(); }, 30000);
      },
      destroy: function () {
        clearInterval(this.timer);
      },
      load: function () {
        var self = this;
        var root = this.$el;
        return fetch(root.getAttribute('data-src'), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) {
            if (!data || !data.tiles) return;
            root.querySelectorAll('[data-metric]').forEach(function (el) {
              var v = data.tiles[el.getAttribute('data-metric')];
              if (v !== undefined) el.textContent = v === null ? '–' : v;
            });
            self.plot(data.tiles.requests);
            self.updated = new Date().toLocaleTimeString();
          }, function () {});
      },
      // The activity chart: requests per refresh interval, the difference of the requests
      // counter between two reads (the last 20 intervals this page has seen).
      plot: function (total) {
        if (this.last !== null) {
          this.samples.push(Math.max(0, total - this.last));
          if (this.samples.length > 20) this.samples.shift();
        }
        this.last = total;
        var svg = this.$refs.chart;
        if (!svg) return;
        var ns = 'http://www.w3.org/2000/svg';
        while (svg.firstChild) svg.removeChild(svg.firstChild);
        var max = Math.max.apply(null, this.samples.concat([1]));
        this.samples.forEach(function (v, i) {
          var h = Math.max(1, Math.round((v / max) * 96));
          var bar = document.createElementNS(ns, 'rect');
          bar.setAttribute('x', String(i * 15));
          bar.setAttribute('y', String(100 - h));
          bar.setAttribute('width', '12');
          bar.setAttribute('height', String(h));
          bar.setAttribute('class', 'fill-indigo-600 dark:fill-indigo-400');
          var title = document.createElementNS(ns, 'title');
          title.textContent = v + ' requests';
          bar.appendChild(title);
          svg.appendChild(bar);
        });
      },
    };
  });
});
`;
