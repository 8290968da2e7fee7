/*
 * Visitor counter for the mod_visitcount demo resume. A template to adapt.
 * Records one hit (POST), shows "Visitor #N · U unique visitors" in the
 * target element, then reads the last days (GET ?days=N) and draws them as a
 * small inline SVG chart. No libraries, nothing from other hosts. Any failure
 * leaves the element hidden: the page never shows a broken or empty counter.
 *
 * <script src="visitor-counter.js" data-api="/api/visits" defer></script>
 *   data-api     API base, the <Location> mapped to "SetHandler visitcount"
 *   data-key     optional key, e.g. "resume" (default: the server's default key)
 *   data-target  optional id of the element to fill (default "visitor-counter")
 *   data-days    days in the chart, 0 for none (default 30; the server allows
 *                up to VisitCountHistory)
 *   data-token   "off": keep nothing in the browser (see below)
 *
 * The visitor token: the server tells visitors apart by address and browser
 * (User-Agent). Two profiles of one browser on one machine look the same, so
 * the script keeps a random token in this site's localStorage and sends it
 * with each hit; the server only mixes it into its daily hash and never stores
 * it. A token unused for a day is replaced; no visit lasts longer than that
 * (VisitCountDedupe is at most 24h), so replacing it never splits one. Where
 * storage is blocked, no token is sent and the hit counts by address and
 * browser alone, as it does with data-token="off".
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
  const days = /^\d+$/.test(attr('data-days')) ? Math.min(Number(attr('data-days')), 400) : 30;
  const SVG = 'http://www.w3.org/2000/svg';
  const TOKEN_KEY = 'visitcount-visitor';
  const TOKEN_IDLE_MS = 24 * 60 * 60 * 1000;
  const useToken = attr('data-token') !== 'off';

  if (!target || typeof fetch !== 'function') return;

  // The token this browser profile sends, or null where storage is unavailable.
  function visitorToken() {
    try {
      const now = Date.now();
      let saved = null;
      try { saved = JSON.parse(localStorage.getItem(TOKEN_KEY)); } catch (e) { saved = null; }
      let id = saved && typeof saved.id === 'string' && /^[0-9a-f]{32}$/.test(saved.id) &&
        typeof saved.used === 'number' && now - saved.used < TOKEN_IDLE_MS ? saved.id : null;
      if (!id) {
        const bytes = new Uint8Array(16);
        crypto.getRandomValues(bytes);
        id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      }
      localStorage.setItem(TOKEN_KEY, JSON.stringify({ id: id, used: now }));
      return id;
    } catch (e) {
      return null; // storage disabled or full, or no crypto: count without a token
    }
  }

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

  function parse(text) {
    const data = JSON.parse(text); // throws on bad JSON: handled as a failure
    if (!data || typeof data !== 'object') throw new Error('not an object');
    return data;
  }

  function show(text) {
    const data = parse(text);
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
    if (unique) target.setAttribute('data-unique', unique.text);
    target.hidden = false;
  }

  // One bar per day, oldest on the left; a day without visits is a flat tick,
  // so gaps stay visible. Each bar says its date and numbers on hover.
  function sparkline(text) {
    const daily = parse(text).daily;
    if (!Array.isArray(daily) || daily.length === 0) return;
    const counts = daily.map((d) => (d && Number.isSafeInteger(d.count) && d.count > 0 ? d.count : 0));
    const max = Math.max(1, ...counts);
    const width = 3, gap = 1, height = 16;
    const svg = document.createElementNS(SVG, 'svg');
    const total = counts.reduce((a, b) => a + b, 0);
    svg.setAttribute('class', 'visitor-sparkline');
    svg.setAttribute('viewBox', '0 0 ' + (daily.length * (width + gap) - gap) + ' ' + height);
    svg.setAttribute('width', String(daily.length * (width + gap) - gap));
    svg.setAttribute('height', String(height));
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'Visits per day over the last ' + daily.length +
      ' days: ' + total + ' in all');
    svg.setAttribute('data-series', counts.join(','));
    daily.forEach((d, i) => {
      const h = counts[i] ? Math.max(2, Math.round((counts[i] / max) * height)) : 1;
      const bar = document.createElementNS(SVG, 'rect');
      bar.setAttribute('x', String(i * (width + gap)));
      bar.setAttribute('y', String(height - h));
      bar.setAttribute('width', String(width));
      bar.setAttribute('height', String(h));
      const title = document.createElementNS(SVG, 'title');
      const u = d && Number.isSafeInteger(d.unique) ? d.unique : 0;
      title.textContent = (d && typeof d.date === 'string' ? d.date : '') + ': ' +
        counts[i] + (counts[i] === 1 ? ' visit' : ' visits') +
        (u ? ', ' + u + ' unique' : '');
      bar.appendChild(title);
      svg.appendChild(bar);
    });
    target.appendChild(document.createTextNode(' '));
    target.appendChild(svg);
  }

  async function request(method, href, body) {
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = controller && setTimeout(() => controller.abort(), 5000);
    try {
      const response = await fetch(href, {
        method: method,
        credentials: 'same-origin',
        cache: method === 'POST' ? 'no-store' : 'no-cache',
        headers: { 'Accept': 'application/json' },
        // A string body is sent as text/plain: a "simple" request, so a
        // counter on another origin needs no CORS preflight.
        body: body,
        signal: controller ? controller.signal : undefined
      });
      if (!response.ok) throw new Error(method + ' HTTP ' + response.status);
      return await response.text(); // the timeout also covers reading the body
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async function run() {
    try {
      const token = useToken ? visitorToken() : null;
      show(await request('POST', url, token ? JSON.stringify({ visitor: token }) : undefined));
    } catch (err) {
      // The counter is decoration: one quiet line for developers, nothing for visitors.
      if (window.console && console.debug) console.debug('visitor-counter:', (err && err.message) || err);
      return;
    }
    if (!days) return;
    try {
      sparkline(await request('GET', url + '?days=' + days));
    } catch (err) {
      // The number is already shown; the chart is optional.
      if (window.console && console.debug) console.debug('visitor-counter chart:', (err && err.message) || err);
    }
  }

  run();
})();
