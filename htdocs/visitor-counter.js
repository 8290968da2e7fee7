/*
 * Visitor counter for the mod_visitcount demo resume. A template to adapt.
 * Records one hit (POST) and shows "Visitor #N · U unique visitors" in the
 * target element. Any failure leaves the element hidden: the page never
 * shows a broken or empty counter.
 *
 * <script src="visitor-counter.js" data-api="/api/visits" defer></script>
 *   data-api     API base, the <Location> mapped to "SetHandler visitcount"
 *   data-key     optional key, e.g. "resume" (default: the server's default key)
 *   data-target  optional id of the element to fill (default "visitor-counter")
 */
(function () {
  'use strict';

  // document.currentScript can be null for deferred scripts, so also look the tag up.
  const script = document.currentScript ||
    document.querySelector('script[data-api][src*="visitor-counter"]');
  const attr = (name) => (script && script.getAttribute(name)) || '';

  const base = (attr('data-api') || '/api/visits').replace(/\/+$/, '');
  const key = attr('data-key').replace(/^\/+|\/+$/g, '');
  // Keys may contain "/": encode each segment, keep the separators.
  const url = key ? base + '/' + key.split('/').map(encodeURIComponent).join('/') : base;
  const target = document.getElementById(attr('data-target') || 'visitor-counter');

  if (!target || typeof fetch !== 'function') return;

  // Counts are 64-bit on the server; past 2^53 a JS number loses digits, so
  // then show the digits exactly as they appear in the raw reply text.
  function digits(text, data, field) {
    const n = data[field];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return null;
    if (Number.isSafeInteger(n)) return { value: n, text: String(n) };
    const m = new RegExp('"' + field + '"\\s*:\\s*(\\d+)').exec(text);
    return m ? { value: null, text: m[1] } : null;
  }

  function format(d) {
    if (d.value === null) return d.text;
    try {
      // Use the page's language so the separators match the surrounding text.
      return new Intl.NumberFormat(document.documentElement.lang || undefined).format(d.value);
    } catch (e) {
      return d.text;
    }
  }

  function show(text) {
    const data = JSON.parse(text); // throws on bad JSON: handled as a failure
    if (!data || typeof data !== 'object') throw new Error('not an object');
    const count = digits(text, data, 'count');
    if (!count) throw new Error('no count');
    const unique = 'unique' in data ? digits(text, data, 'unique') : null;

    const strong = document.createElement('strong');
    strong.textContent = format(count);
    target.textContent = 'Visitor #';
    target.appendChild(strong);
    // Zero means the server does not track unique visitors (VisitCountUnique
    // off, or a count carried over without them): say nothing rather than "0".
    if (unique && unique.text !== '0') {
      target.appendChild(document.createTextNode(' \u00b7 ' + format(unique) +
        (unique.text === '1' ? ' unique visitor' : ' unique visitors')));
    }
    target.setAttribute('data-count', count.text);
    target.hidden = false;
  }

  async function run() {
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = controller && setTimeout(() => controller.abort(), 5000);
    try {
      const response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { 'Accept': 'application/json' },
        signal: controller ? controller.signal : undefined
      });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      show(await response.text()); // the timeout also covers reading the body
    } catch (err) {
      // The counter is decoration: one quiet line for developers, nothing for visitors.
      if (window.console && console.debug) console.debug('visitor-counter:', (err && err.message) || err);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  run();
})();
