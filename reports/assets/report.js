/* parapet HTML report: offline filters and on-demand details. The page's data sits in the
 * <script type="application/json" id="pp-data"> block; everything shown from it is built with
 * createElement and textContent only, so no value from an account is ever parsed as markup.
 * The Content-Security-Policy allows this script by its hash and nothing else. */
(function () {
  'use strict';

  var ST = ['PASS', 'FAIL', 'ERROR', 'UNKNOWN', 'MANUAL', 'NOT_APPLICABLE'];
  var SEV = ['info', 'low', 'medium', 'high', 'critical'];
  var RULE_PAGE = 200; /* failing resources rendered per rule before "show more" */
  var RES_PAGE = 50; /* resource table rows per page */
  var PRINT_CAP = 500; /* failing resources per rule in print */

  var dataEl = document.getElementById('pp-data');
  var D = JSON.parse(dataEl.textContent);

  /* findings per rule and per resource row */
  var byRule = D.rules.map(function () { return []; });
  var byRes = {};
  D.f.forEach(function (f, i) {
    byRule[f[0]].push(i);
    (byRes[f[1]] = byRes[f[1]] || []).push(i);
  });
  var ruleFw = D.rules.map(function (r) {
    var s = {};
    (r.fw || []).forEach(function (n) { s[n] = true; });
    return s;
  });

  function h(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function badge(status) {
    return h('span', 'badge st-' + ST[status], ST[status]);
  }
  function str(v) { return typeof v === 'string' ? v : ''; }

  var textCache = [];
  function resText(ri) {
    var t = textCache[ri];
    if (t === undefined) {
      var r = D.res[ri];
      var parts = [D.types[r[0]] || '', str(r[1]), str(r[2]), str(r[5]), str(r[8])];
      if (str(r[5])) parts.push('Name=' + r[5]);
      (r[6] || []).forEach(function (t) { var kv = D.tagp[t]; parts.push(kv[0] + '=' + kv[1]); });
      t = textCache[ri] = parts.join(' ').toLowerCase();
    }
    return t;
  }

  /* ---- filters ---------------------------------------------------------------------------- */

  var F = { status: '', severity: '', service: '', region: '', account: '', framework: '', text: '' };
  var FIELDS = ['status', 'severity', 'service', 'region', 'account', 'framework', 'text'];

  function readFilters() {
    FIELDS.forEach(function (k) {
      var el = document.getElementById('f-' + k);
      F[k] = el ? String(el.value || '').trim() : '';
    });
    F.text = F.text.toLowerCase();
  }

  /* Does a failing/non-PASS finding pass the finding-level filters? */
  function findingOk(fi, withText) {
    var f = D.f[fi];
    var r = D.res[f[1]];
    if (F.status && ST[f[2]] !== F.status) return false;
    if (F.region && D.reg[r[4]] !== F.region) return false;
    if (F.account && D.acct[r[3]] !== F.account) return false;
    if (withText && F.text && resText(f[1]).indexOf(F.text) < 0 &&
        str(f[4]).toLowerCase().indexOf(F.text) < 0) return false;
    return true;
  }

  function ruleIdx(el) {
    var s = el.getAttribute('data-rules') || '';
    return s ? s.split(' ').map(Number) : [];
  }

  function controlVisible(el) {
    if (F.framework && el.getAttribute('data-framework') !== F.framework) return false;
    if (F.status && (' ' + el.getAttribute('data-has') + ' ').indexOf(' ' + F.status + ' ') < 0 &&
        el.getAttribute('data-status') !== F.status) return false;
    if (F.severity && (' ' + el.getAttribute('data-severity') + ' ').indexOf(' ' + F.severity + ' ') < 0) return false;
    if (F.service && (' ' + el.getAttribute('data-services') + ' ').indexOf(' ' + F.service + ' ') < 0) return false;
    var textHit = F.text && el.getAttribute('data-text').indexOf(F.text) >= 0;
    if (!F.region && !F.account && (!F.text || textHit)) return true;
    return ruleIdx(el).some(function (ri) {
      return byRule[ri].some(function (fi) { return findingOk(fi, !textHit); });
    });
  }

  function resVisible(ri) {
    var r = D.res[ri];
    if (F.region && D.reg[r[4]] !== F.region) return false;
    if (F.account && D.acct[r[3]] !== F.account) return false;
    if (F.service && D.svc[r[0]] !== F.service) return false;
    var fs = byRes[ri] || [];
    if (F.status && ST[r[7]] !== F.status &&
        !fs.some(function (fi) { return ST[D.f[fi][2]] === F.status; })) return false;
    if (F.severity && !fs.some(function (fi) {
      return D.f[fi][2] !== 0 && SEV[D.rules[D.f[fi][0]].sev] === F.severity;
    })) return false;
    if (F.framework && !fs.some(function (fi) { return ruleFw[D.f[fi][0]][F.framework]; })) return false;
    if (F.text && resText(ri).indexOf(F.text) < 0) return false;
    return true;
  }

  /* ---- failing resources of a rule, rendered when its control is opened -------------------- */

  function evidenceText(i) {
    if (i === -2) return '(evidence left out of this page to keep it small: see report.json)';
    if (typeof i !== 'number' || i < 0) return '';
    var ev = D.ev[i];
    try {
      var flat = JSON.stringify(ev);
      return flat.length <= 160 ? flat : JSON.stringify(ev, null, 1);
    } catch (e) { return String(ev); }
  }

  function findingRow(fi) {
    var f = D.f[fi];
    var r = D.res[f[1]];
    var tr = h('tr', 'finding st-row-' + ST[f[2]]);
    var who = h('td', 'res');
    who.appendChild(h('div', 'res-id', str(r[8]) || str(r[1])));
    if (str(r[5])) who.appendChild(h('div', 'res-name', str(r[5])));
    if (str(r[2])) who.appendChild(h('div', 'res-arn', str(r[2])));
    tr.appendChild(who);
    tr.appendChild(h('td', 'acct', D.acct[r[3]] || ''));
    tr.appendChild(h('td', 'reg', D.reg[r[4]] || ''));
    var st = h('td', 'st');
    st.appendChild(badge(f[2]));
    if (f[3]) st.appendChild(h('span', 'badge suppressed', 'suppressed'));
    tr.appendChild(st);
    var msg = h('td', 'msg');
    msg.appendChild(h('div', 'message', str(f[4])));
    var ev = evidenceText(f[5]);
    if (ev) msg.appendChild(h('pre', 'evidence', ev));
    if (str(f[6])) msg.appendChild(h('div', 'suppression', 'Suppression: ' + str(f[6])));
    tr.appendChild(msg);
    return tr;
  }

  function renderRule(box, limit) {
    var ri = Number(box.getAttribute('data-rule'));
    var list = byRule[ri].filter(function (fi) { return findingOk(fi, true); });
    while (box.firstChild) box.removeChild(box.firstChild);
    if (!byRule[ri].length) {
      box.appendChild(h('p', 'none', 'No failing, unevaluated or suppressed resources.'));
      return;
    }
    if (!list.length) {
      box.appendChild(h('p', 'none', 'No resource of this rule matches the filters.'));
      return;
    }
    var table = h('table', 'findings');
    var head = h('tr');
    ['Resource', 'Account', 'Region', 'Status', 'Message, evidence, suppression'].forEach(function (t) {
      head.appendChild(h('th', null, t));
    });
    table.appendChild(h('thead')).appendChild(head);
    var body = table.appendChild(h('tbody'));
    var n = Math.min(limit, list.length);
    for (var i = 0; i < n; i++) body.appendChild(findingRow(list[i]));
    box.appendChild(table);
    if (list.length > n) {
      var more = h('button', 'more', 'Show more (' + (list.length - n) + ' not shown)');
      more.type = 'button';
      more.addEventListener('click', function () { renderRule(box, limit + RULE_PAGE); });
      box.appendChild(more);
    }
    box.setAttribute('data-rendered', '1');
  }

  function renderControl(ctl, limit) {
    var boxes = ctl.querySelectorAll('.rule-findings');
    for (var i = 0; i < boxes.length; i++) renderRule(boxes[i], limit || RULE_PAGE);
  }

  document.addEventListener('toggle', function (ev) {
    var t = ev.target;
    if (t && t.classList && t.classList.contains('control') && t.open) renderControl(t);
  }, true);

  /* ---- resource table --------------------------------------------------------------------- */

  var resRows = [];
  var resPage = 0;
  /* the resource table lists the worst first: FAIL, ERROR, UNKNOWN, MANUAL, PASS, not applicable */
  var RANK = [1, 5, 4, 3, 2, 0];
  var resOrder = D.res.map(function (r, i) { return i; });
  resOrder.sort(function (a, b) { return (RANK[D.res[b][7]] - RANK[D.res[a][7]]) || (a - b); });

  function tagsCell(r) {
    var td = h('td', 'tags');
    if (str(r[5])) td.appendChild(h('span', 'tag', 'Name=' + r[5]));
    (r[6] || []).forEach(function (t) {
      var kv = D.tagp[t];
      td.appendChild(h('span', 'tag', kv[0] + '=' + kv[1]));
    });
    return td;
  }

  function renderResources() {
    var tbody = document.getElementById('res-body');
    if (!tbody) return;
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    var pages = Math.max(1, Math.ceil(resRows.length / RES_PAGE));
    if (resPage >= pages) resPage = pages - 1;
    var start = resPage * RES_PAGE;
    var end = Math.min(resRows.length, start + RES_PAGE);
    for (var i = start; i < end; i++) {
      var ri = resRows[i];
      var r = D.res[ri];
      var tr = h('tr', 'resource st-row-' + ST[r[7]]);
      tr.appendChild(h('td', 'type', D.types[r[0]] || ''));
      var who = h('td', 'res');
      who.appendChild(h('div', 'res-id', str(r[8]) || str(r[1])));
      if (str(r[5])) who.appendChild(h('div', 'res-name', str(r[5])));
      if (str(r[2])) who.appendChild(h('div', 'res-arn', str(r[2])));
      tr.appendChild(who);
      tr.appendChild(h('td', 'acct', D.acct[r[3]] || ''));
      tr.appendChild(h('td', 'reg', D.reg[r[4]] || ''));
      tr.appendChild(tagsCell(r));
      var st = h('td', 'st');
      st.appendChild(badge(r[7]));
      tr.appendChild(st);
      var rules = h('td', 'rules');
      (byRes[ri] || []).forEach(function (fi) {
        var f = D.f[fi];
        rules.appendChild(h('span', 'rule-ref st-' + ST[f[2]], D.rules[f[0]].id + ' ' + ST[f[2]] + (f[3] ? ' (suppressed)' : '')));
      });
      tr.appendChild(rules);
      tbody.appendChild(tr);
    }
    var info = document.getElementById('res-page');
    if (info) {
      info.textContent = resRows.length
        ? 'Resources ' + (start + 1) + '-' + end + ' of ' + resRows.length + ' (page ' + (resPage + 1) + ' of ' + pages + ')'
        : 'No resource matches the filters.';
    }
    var prev = document.getElementById('res-prev');
    var next = document.getElementById('res-next');
    if (prev) prev.disabled = resPage <= 0;
    if (next) next.disabled = resPage >= pages - 1;
  }

  /* ---- applying filters -------------------------------------------------------------------- */

  function apply() {
    readFilters();
    var ctls = document.querySelectorAll('details.control');
    var shown = 0;
    for (var i = 0; i < ctls.length; i++) {
      var vis = controlVisible(ctls[i]);
      ctls[i].hidden = !vis;
      if (vis) shown++;
      if (vis && ctls[i].open) renderControl(ctls[i]);
    }
    var fws = document.querySelectorAll('section.framework');
    for (var j = 0; j < fws.length; j++) {
      var any = fws[j].querySelector('details.control:not([hidden])');
      fws[j].hidden = !any;
    }
    resRows = [];
    for (var k = 0; k < resOrder.length; k++) if (resVisible(resOrder[k])) resRows.push(resOrder[k]);
    resPage = 0;
    renderResources();
    var count = document.getElementById('filter-count');
    if (count) {
      count.textContent = shown + ' of ' + ctls.length + ' controls and ' + resRows.length +
        ' of ' + D.res.length + ' resources shown.';
    }
  }

  var timer = null;
  FIELDS.forEach(function (k) {
    var el = document.getElementById('f-' + k);
    if (!el) return;
    el.addEventListener(k === 'text' ? 'input' : 'change', function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(apply, k === 'text' ? 150 : 0);
    });
  });
  var form = document.getElementById('filters');
  if (form) {
    form.addEventListener('submit', function (ev) { ev.preventDefault(); apply(); });
    form.addEventListener('reset', function () { setTimeout(apply, 0); });
  }
  var prevBtn = document.getElementById('res-prev');
  var nextBtn = document.getElementById('res-next');
  if (prevBtn) prevBtn.addEventListener('click', function () { resPage--; renderResources(); });
  if (nextBtn) nextBtn.addEventListener('click', function () { resPage++; renderResources(); });

  var openBtn = document.getElementById('open-failing');
  if (openBtn) openBtn.addEventListener('click', function () {
    var ctls = document.querySelectorAll('details.control');
    for (var i = 0; i < ctls.length; i++) {
      var s = ctls[i].getAttribute('data-status');
      if (!ctls[i].hidden && (s === 'FAIL' || s === 'ERROR')) ctls[i].open = true;
    }
  });
  var closeBtn = document.getElementById('close-all');
  if (closeBtn) closeBtn.addEventListener('click', function () {
    var ctls = document.querySelectorAll('details.control');
    for (var i = 0; i < ctls.length; i++) ctls[i].open = false;
  });

  /* ---- print: every shown control open, with its failing resources ------------------------ */

  function beforePrint() {
    var lists = document.querySelectorAll('details.changes-list, details.types');
    for (var j = 0; j < lists.length; j++) lists[j].open = true;
    var ctls = document.querySelectorAll('details.control');
    for (var i = 0; i < ctls.length; i++) {
      if (ctls[i].hidden) continue;
      ctls[i].open = true;
      renderControl(ctls[i], PRINT_CAP);
    }
  }
  window.addEventListener('beforeprint', beforePrint);
  if (window.matchMedia) {
    var mq = window.matchMedia('print');
    var onChange = function (e) { if (e.matches) beforePrint(); };
    if (mq.addEventListener) mq.addEventListener('change', onChange);
    else if (mq.addListener) mq.addListener(onChange);
  }

  apply();
  document.body.setAttribute('data-ready', '1');
})();
