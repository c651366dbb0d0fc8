/**
 * The inline stylesheet and script of the HTML reports. Kept as constants so the page's Content Security
 * Policy can allow exactly these two blocks by hash (`html-page.ts`): the page loads nothing else.
 */

export const REPORT_CSS = `
:root{--bg:#f6f7f9;--panel:#fff;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#eef1f4;--accent:#0969da;
--failing:#b42318;--failing-bg:#fee4e2;--expired:#7a1d5b;--expired-bg:#f9e1ef;--manual:#9a4a00;--manual-bg:#ffe9cf;
--overdue:#c4320a;--overdue-bg:#ffe6d5;--due:#8a5a00;--due-bg:#fff3c4;--noexp:#3e4c9a;--noexp-bg:#e6e9fb;
--unmanaged:#4b5563;--unmanaged-bg:#eceef1;--ok:#116329;--ok-bg:#dcf5e3;--info:#0b5cad;--info-bg:#ddeeff}
*{box-sizing:border-box}
html,body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header.top{background:#0f1b2d;color:#fff;padding:18px 28px 16px}
header.top h1{margin:0;font-size:20px;font-weight:600;letter-spacing:.2px}
header.top .meta{margin-top:4px;color:#b7c3d3;font-size:12.5px}
header.top .meta span+span:before{content:"·";margin:0 8px;color:#6c7c92}
main{padding:18px 28px 40px}
.summary{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:16px}
.chip{appearance:none;border:1px solid var(--line);border-left:4px solid var(--c,var(--muted));background:var(--panel);
border-radius:8px;padding:8px 14px;min-width:118px;text-align:left;cursor:pointer;color:var(--ink);font:inherit}
.chip:hover{border-color:#afb8c1;border-left-color:var(--c,var(--muted))}
.chip[aria-pressed=true]{background:var(--cbg,var(--soft));box-shadow:inset 0 0 0 1px var(--c,var(--muted))}
.chip .n{display:block;font-size:22px;font-weight:650;line-height:1.1;color:var(--c,var(--ink))}
.chip .l{display:block;font-size:12px;color:var(--muted)}
.chip.zero{opacity:.55}
.problems{background:#fff8f1;border:1px solid #f5c99a;border-radius:8px;padding:10px 14px;margin-bottom:14px}
.problems h2{font-size:13px;margin:0 0 4px;color:#9a4a00}
.problems ul{margin:0;padding-left:18px}
.toolbar{display:flex;flex-wrap:wrap;align-items:center;gap:10px;margin-bottom:10px}
.toolbar input[type=search]{flex:1 1 280px;max-width:420px;padding:7px 10px;border:1px solid var(--line);border-radius:6px;font:inherit;background:var(--panel)}
.toolbar select{padding:7px 8px;border:1px solid var(--line);border-radius:6px;font:inherit;background:var(--panel)}
.toolbar button{padding:7px 12px;border:1px solid var(--line);border-radius:6px;background:var(--panel);font:inherit;cursor:pointer}
.toolbar button:hover{background:var(--soft)}
.toolbar .count{margin-left:auto;color:var(--muted);font-size:12.5px}
input:focus-visible,select:focus-visible,button:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
.tablewrap{background:var(--panel);border:1px solid var(--line);border-radius:8px;overflow:auto}
table.grid{border-collapse:collapse;width:100%;font-size:13px}
table.grid th{position:sticky;top:0;z-index:1;background:#f0f3f6;border-bottom:1px solid var(--line);text-align:left;padding:0;white-space:nowrap;font-weight:600;color:#33404d}
table.grid th button{all:unset;display:block;padding:9px 10px;cursor:pointer}
table.grid th button:focus-visible{outline:2px solid var(--accent)}
table.grid th button:after{content:"↕";margin-left:6px;color:#a3adb8;font-size:11px}
table.grid th[aria-sort=ascending] button:after{content:"▲";color:var(--accent)}
table.grid th[aria-sort=descending] button:after{content:"▼";color:var(--accent)}
table.grid th.plain{padding:9px 10px}
table.grid td{padding:8px 10px;border-top:1px solid #e7ebef;vertical-align:top}
table.grid tbody.item:nth-of-type(even) tr.main{background:#fbfcfd}
table.grid tbody.item tr.main:hover{background:#f1f6fd}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.num.neg{color:var(--failing);font-weight:600}
td.num.soon{color:var(--overdue);font-weight:600}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.muted{color:var(--muted)}
.small{font-size:12px}
.name{font-weight:600;white-space:nowrap}
.nw{white-space:nowrap}
td.state{min-width:180px}
td.run{min-width:180px}
td.grp{min-width:150px;max-width:220px;overflow-wrap:anywhere}
td.cred{max-width:130px;overflow-wrap:anywhere}
td.state .reason{max-width:230px}
.reason{display:block;color:var(--muted);font-size:12px;margin-top:2px;max-width:360px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap;color:var(--c);background:var(--cbg);border:1px solid color-mix(in srgb,var(--c) 25%,transparent)}
.s-failing,.s-failed{--c:var(--failing);--cbg:var(--failing-bg)}
.s-expired{--c:var(--expired);--cbg:var(--expired-bg)}
.s-manual-action-required{--c:var(--manual);--cbg:var(--manual-bg)}
.s-overdue,.s-propagated-with-errors{--c:var(--overdue);--cbg:var(--overdue-bg)}
.s-due{--c:var(--due);--cbg:var(--due-bg)}
.s-no-expiry{--c:var(--noexp);--cbg:var(--noexp-bg)}
.s-unmanaged,.s-skipped{--c:var(--unmanaged);--cbg:var(--unmanaged-bg)}
.s-ok,.s-done,.s-revoked{--c:var(--ok);--cbg:var(--ok-bg)}
.s-queued,.s-running{--c:var(--info);--cbg:var(--info-bg)}
.s-all{--c:var(--ink);--cbg:var(--soft)}
.flag{display:inline-block;margin-left:6px;padding:0 6px;border-radius:4px;font-size:11px;font-weight:600;background:var(--failing-bg);color:var(--failing)}
.tag{display:inline-block;margin:0 4px 2px 0;padding:0 6px;border-radius:4px;background:var(--soft);font-size:12px}
tfoot td{padding:28px;text-align:center;color:var(--muted)}
button.toggle{all:unset;cursor:pointer;width:20px;height:20px;display:inline-flex;align-items:center;justify-content:center;border-radius:4px;color:var(--muted)}
button.toggle:hover{background:var(--soft);color:var(--ink)}
button.toggle:focus-visible{outline:2px solid var(--accent)}
button.toggle:before{content:"▸";display:inline-block;transition:transform .12s}
button.toggle[aria-expanded=true]:before{transform:rotate(90deg)}
tr.detail>td{background:#f8fafc;border-top:0;padding:4px 16px 16px 40px}
.details{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px 28px}
.details h3{margin:10px 0 4px;font-size:11.5px;text-transform:uppercase;letter-spacing:.5px;color:var(--muted)}
.details ol,.details ul{margin:0;padding-left:0;list-style:none}
.details li{padding:2px 0}
.timeline li{display:grid;grid-template-columns:90px 1fr auto;gap:8px;border-left:2px solid var(--line);padding-left:10px;position:relative}
.timeline li:before{content:"";position:absolute;left:-5px;top:8px;width:8px;height:8px;border-radius:50%;background:var(--accent)}
.error{color:var(--failing)}
footer{margin-top:14px;color:var(--muted);font-size:12px}
@media print{.toolbar,.summary .chip{cursor:default}header.top{background:#fff;color:#000}th{position:static}}
`;

export const REPORT_JS = `
(function () {
  'use strict';
  var table = document.getElementById('report');
  if (!table) return;
  var bodies = Array.prototype.slice.call(table.tBodies).filter(function (b) { return b.classList.contains('item'); });
  var search = document.getElementById('q');
  var stateSel = document.getElementById('state');
  var vaultSel = document.getElementById('vault');
  var shown = document.getElementById('shown');
  var empty = document.getElementById('empty');
  var chips = Array.prototype.slice.call(document.querySelectorAll('.chip[data-state]'));

  function apply() {
    var terms = (search.value || '').trim().toLowerCase().split(/\\s+/).filter(Boolean);
    var state = stateSel.value;
    var vault = vaultSel ? vaultSel.value : '';
    var n = 0;
    bodies.forEach(function (b) {
      var text = b.getAttribute('data-search') || '';
      var ok = (!state || b.getAttribute('data-state') === state) &&
        (!vault || b.getAttribute('data-vault') === vault) &&
        terms.every(function (t) { return text.indexOf(t) !== -1; });
      b.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = String(n);
    empty.hidden = n !== 0;
    chips.forEach(function (c) { c.setAttribute('aria-pressed', String(c.getAttribute('data-state') === state)); });
  }

  function keyOf(body, index, type) {
    var cell = body.rows[0].cells[index];
    var raw = cell.hasAttribute('data-v') ? cell.getAttribute('data-v') : cell.textContent.trim();
    if (raw === '' || raw === null) return null;
    if (type === 'num') { var n = Number(raw); return isNaN(n) ? null : n; }
    return raw.toLowerCase();
  }

  function sortBy(th) {
    var index = th.cellIndex;
    var type = th.getAttribute('data-type') || 'text';
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
      if (h.hasAttribute('aria-sort')) h.setAttribute('aria-sort', 'none');
    });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var keyed = bodies.map(function (b, i) { return { b: b, k: keyOf(b, index, type), i: i }; });
    keyed.sort(function (x, y) {
      if (x.k === y.k) return x.i - y.i;
      if (x.k === null) return 1;
      if (y.k === null) return -1;
      return (x.k < y.k ? -1 : 1) * dir;
    });
    var foot = table.tFoot;
    keyed.forEach(function (e) { table.insertBefore(e.b, foot); });
    bodies = keyed.map(function (e) { return e.b; });
  }

  table.tHead.addEventListener('click', function (event) {
    var th = event.target.closest('th[aria-sort]');
    if (th) sortBy(th);
  });
  table.addEventListener('click', function (event) {
    var button = event.target.closest('button.toggle');
    if (!button) return;
    var detail = button.closest('tbody').querySelector('tr.detail');
    var open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    if (detail) detail.hidden = !open;
  });
  var expandAll = document.getElementById('expand-all');
  if (expandAll) expandAll.addEventListener('click', function () {
    var open = expandAll.getAttribute('aria-pressed') !== 'true';
    expandAll.setAttribute('aria-pressed', String(open));
    expandAll.textContent = open ? 'Collapse all' : 'Expand all';
    bodies.forEach(function (b) {
      var button = b.querySelector('button.toggle');
      var detail = b.querySelector('tr.detail');
      if (button) button.setAttribute('aria-expanded', String(open));
      if (detail) detail.hidden = !open;
    });
  });
  chips.forEach(function (chip) {
    chip.addEventListener('click', function () {
      var s = chip.getAttribute('data-state');
      stateSel.value = stateSel.value === s ? '' : s;
      apply();
    });
  });
  search.addEventListener('input', apply);
  stateSel.addEventListener('change', apply);
  if (vaultSel) vaultSel.addEventListener('change', apply);
  var clear = document.getElementById('clear');
  if (clear) clear.addEventListener('click', function () {
    search.value = ''; stateSel.value = ''; if (vaultSel) vaultSel.value = ''; apply();
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === '/' && document.activeElement !== search) { event.preventDefault(); search.focus(); }
  });
  apply();
})();
`;
