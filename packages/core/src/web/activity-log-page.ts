/**
 * The activity log page: one HTML document with its CSS and script inline (no build step, no
 * CDN, works offline). It reads `./entries`, `./actors` and links `./export.csv`. Every value
 * from the log is inserted with textContent, never as HTML.
 */
export function activityLogPage(options: { title: string; pageSize: number }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(options.title)}</h1><p class="summary" id="summary" aria-live="polite"></p></header>
<form id="filters" class="filters" autocomplete="off">
  <label>Actor <select name="actor" id="f-actor"><option value="">Everyone</option><option value="system">System</option></select></label>
  <label>Action <select name="action" id="f-action"><option value="">All actions</option></select></label>
  <label>Resource <select name="type" id="f-type"><option value="">All types</option></select></label>
  <label>From <input type="date" name="from" id="f-from"></label>
  <label>To <input type="date" name="to" id="f-to"></label>
  <label>Location <select name="location" id="f-location"><option value="">All locations</option></select></label>
  <label class="grow">Search <input type="search" name="search" id="f-search" placeholder="Resource or actor name"></label>
  <a class="button" id="export" href="./export.csv" download>Export CSV</a>
</form>
<main id="log"></main>
<p class="more"><button type="button" id="load-more" hidden>Load more</button></p>
<p class="error" id="error" role="alert" hidden></p>
<script>
"use strict";
const PAGE_SIZE = ${Number(options.pageSize)};
${SCRIPT}
</script>
</body>
</html>
`
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f8f9fb; --accent: #2f5bd3; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 16px; padding: 20px 24px 8px; }
h1 { font-size: 20px; margin: 0; }
.summary { color: var(--muted); margin: 0; }
.filters { display: flex; flex-wrap: wrap; gap: 10px 14px; align-items: end; padding: 12px 24px; background: #fff; border-block: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 3px; }
.filters .grow { flex: 1 1 180px; }
select, input { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: var(--ink); min-width: 120px; }
.button, button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; text-decoration: none; cursor: pointer; }
main { padding: 8px 24px 0; max-width: 1100px; }
h2.day { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 22px 0 8px; }
.entry { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 6px 0; padding: 8px 12px; }
.entry .head { display: grid; grid-template-columns: 52px minmax(120px, 200px) 130px 1fr auto; gap: 10px; align-items: baseline; }
.time { color: var(--muted); font-variant-numeric: tabular-nums; }
.actor.system { color: var(--muted); font-style: italic; }
.via { display: block; font-size: 12px; color: #b54708; }
.action { font-weight: 600; }
.action.deleted, .action.disabled, .action.login_failed, .action.truncated { color: #b42318; }
.action.created, .action.enabled, .action.restored { color: #067647; }
.resource { overflow-wrap: anywhere; }
.toggle { border: 0; background: none; color: var(--accent); padding: 0 4px; }
ul.fields { list-style: none; margin: 4px 0 0 62px; padding: 0; color: #344054; }
ul.fields li::before { content: "└─ "; color: var(--muted); }
.old { color: #912018; } .new { color: #05603a; }
.field-name { font-weight: 500; }
dl.details { display: grid; grid-template-columns: 140px 1fr; gap: 2px 12px; margin: 8px 0 2px 62px; font-size: 13px; }
dl.details dt { color: var(--muted); } dl.details dd { margin: 0; overflow-wrap: anywhere; }
.more { padding: 8px 24px 32px; }
.empty { color: var(--muted); padding: 24px 0; }
.error { color: #b42318; padding: 0 24px; }
`

// Runs in the browser. Plain ES2020, no dependencies; data only ever goes through textContent.
const SCRIPT = `
const form = document.getElementById('filters');
const logEl = document.getElementById('log');
const moreButton = document.getElementById('load-more');
const summary = document.getElementById('summary');
const errorEl = document.getElementById('error');
const exportLink = document.getElementById('export');
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
let cursor = null;
let shown = 0;
let lastDay = null;
let generation = 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function query(extra) {
  const data = new FormData(form);
  const params = new URLSearchParams();
  for (const [key, value] of data) {
    if (!value) continue;
    // Dates are days in the viewer's time zone: send the instants that bound them.
    if (key === 'from') params.set('from', new Date(value + 'T00:00:00').toISOString());
    else if (key === 'to') params.set('to', new Date(value + 'T23:59:59.999').toISOString());
    else params.set(key, value);
  }
  for (const [key, value] of Object.entries(extra || {})) if (value) params.set(key, value);
  return params;
}

function renderEntry(entry) {
  const day = dayFormat.format(new Date(entry.createdAt));
  if (day !== lastDay) { logEl.append(el('h2', 'day', day)); lastDay = day; }
  const box = el('article', 'entry');
  box.dataset.id = entry.id;
  const head = el('div', 'head');
  const actor = el('span', 'actor' + (entry.isSystem ? ' system' : ''), entry.actor);
  if (entry.impersonator) actor.append(el('span', 'via', 'via ' + entry.impersonator));
  head.append(
    el('span', 'time', timeFormat.format(new Date(entry.createdAt))),
    actor,
    el('span', 'action ' + entry.action.replace(/[^a-z0-9_]/g, '_'), entry.actionLabel),
    el('span', 'resource', entry.resource),
  );
  const toggle = el('button', 'toggle', 'Details');
  toggle.type = 'button';
  toggle.setAttribute('aria-expanded', 'false');
  head.append(toggle);
  box.append(head);
  const fields = el('ul', 'fields');
  const preview = 3;
  entry.fields.forEach((field, index) => {
    const item = el('li', index >= preview ? 'extra' : '');
    if (index >= preview) item.hidden = true;
    item.append(el('span', 'field-name', field.name), document.createTextNode(': '));
    if (field.old !== null && field.new !== null) {
      item.append(el('span', 'old', field.old), document.createTextNode(' → '), el('span', 'new', field.new));
    } else {
      item.append(el('span', field.new !== null ? 'new' : 'old', field.new !== null ? field.new : field.old));
    }
    fields.append(item);
  });
  if (entry.fields.length > preview) fields.append(el('li', 'hint', '+' + (entry.fields.length - preview) + ' more'));
  box.append(fields);
  const details = el('dl', 'details');
  details.hidden = true;
  for (const [label, value] of entry.details) details.append(el('dt', '', label), el('dd', '', value));
  box.append(details);
  toggle.addEventListener('click', () => {
    const open = details.hidden;
    details.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Hide' : 'Details';
    for (const extra of fields.querySelectorAll('li.extra')) extra.hidden = !open;
    const hint = fields.querySelector('li.hint');
    if (hint) hint.hidden = open;
  });
  logEl.append(box);
}

async function load(reset) {
  const mine = reset ? ++generation : generation;
  errorEl.hidden = true;
  const params = query({ cursor: reset ? null : cursor });
  exportLink.href = './export.csv?' + query().toString();
  try {
    const res = await fetch('./entries?' + params.toString(), { headers: { accept: 'application/json' } });
    const body = await res.json();
    if (mine !== generation) return;
    if (!res.ok) throw new Error(body.error || res.statusText);
    if (reset) { logEl.replaceChildren(); shown = 0; lastDay = null; }
    body.entries.forEach(renderEntry);
    shown += body.entries.length;
    cursor = body.nextCursor;
    moreButton.hidden = !cursor;
    summary.textContent = 'Showing ' + shown + ' of ' + body.total + (body.total === 1 ? ' entry' : ' entries');
    if (shown === 0) logEl.append(el('p', 'empty', 'No entries match these filters.'));
  } catch (error) {
    errorEl.textContent = 'Could not load the activity log: ' + error.message;
    errorEl.hidden = false;
  }
}

function fillSelect(select, items) {
  for (const item of items) select.append(new Option(item.label, item.value));
}

async function loadChoices() {
  try {
    const res = await fetch('./actors');
    if (!res.ok) return;
    const choices = await res.json();
    fillSelect(document.getElementById('f-actor'), choices.actors.map((a) => ({ label: a.name, value: a.id })));
    fillSelect(document.getElementById('f-action'), choices.actions.map((a) => ({ label: a.replace(/[_.]+/g, ' '), value: a })));
    fillSelect(document.getElementById('f-type'), choices.resourceTypes.map((t) => ({ label: t, value: t })));
    fillSelect(document.getElementById('f-location'), choices.locations.map((l) => ({ label: l, value: l })));
  } catch (_) { /* the filters still work with the defaults */ }
}

let searchTimer;
form.addEventListener('change', () => load(true));
form.addEventListener('input', (event) => {
  if (event.target.type !== 'search') return;
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => load(true), 250);
});
form.addEventListener('submit', (event) => { event.preventDefault(); load(true); });
moreButton.addEventListener('click', () => load(false));
loadChoices();
load(true);
`
