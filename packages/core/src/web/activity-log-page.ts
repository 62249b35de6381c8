import { MESSAGES, type ActivityLogMessages } from './activity-log-messages.js'

export interface ActivityLogPageOptions {
  title: string
  pageSize: number
  /** Per-response CSP nonce for the inline style and script. */
  nonce: string
  messages?: ActivityLogMessages
  /** The zone the page starts in. Default `'UTC'`. */
  timeZone?: string
  /** false: no export link (authorizeExport said no). Default true. */
  canExport?: boolean
}

/**
 * The activity log page: one HTML document with its CSS and script inline (no build step, no
 * CDN, works offline), both carrying the response's CSP nonce. It reads `./entries` and
 * `./choices` and links `./export.csv`. Every value from the log is inserted with textContent,
 * never as HTML; labels come from the message table, embedded as JSON.
 */
export function activityLogPage(options: ActivityLogPageOptions): string {
  const m = options.messages ?? MESSAGES
  const nonce = escapeHtml(options.nonce)
  const e = (key: Exclude<keyof ActivityLogMessages, 'names'>) => escapeHtml(m[key])
  const config = { pageSize: Number(options.pageSize), messages: m, timeZone: options.timeZone ?? 'UTC' }
  return `<!doctype html>
<html lang="${e('lang')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(options.title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header>
  <h1>${escapeHtml(options.title)}</h1>
  <p class="summary" id="summary" aria-live="polite"></p>
  <p class="zone" id="zone-note"></p>
  <button type="button" id="filters-toggle" class="secondary" aria-expanded="false" aria-controls="filters">${e('showFilters')}</button>
</header>
<form id="filters" class="filters" autocomplete="off" aria-label="${e('filters')}">
  <label>${e('actor')} <select name="actor" id="f-actor"><option value="">${e('everyone')}</option><option value="system">${e('system')}</option><option value="database">${e('database')}</option></select></label>
  <label>${e('impersonator')} <select name="impersonator" id="f-impersonator"><option value="">${e('anyone')}</option></select></label>
  <label>${e('action')} <select name="action" id="f-action"><option value="">${e('allActions')}</option></select></label>
  <label>${e('resource')} <select name="type" id="f-type"><option value="">${e('allTypes')}</option></select></label>
  <label>${e('resourceId')} <input type="text" name="id" id="f-id" inputmode="text" size="8"></label>
  <label>${e('field')} <input type="text" name="field" id="f-field" size="10"></label>
  <label>${e('location')} <select name="location" id="f-location"><option value="">${e('allLocations')}</option></select></label>
  <label>${e('from')} <input type="date" name="from" id="f-from" aria-describedby="filter-error"></label>
  <label>${e('to')} <input type="date" name="to" id="f-to" aria-describedby="filter-error"></label>
  <label>${e('timeZone')} <select name="tz" id="f-tz"></select></label>
  <label class="grow">${e('search')} <input type="search" name="search" id="f-search" placeholder="${e('searchPlaceholder')}"></label>
  <label>${e('order')} <select name="order" id="f-order"><option value="">${e('newestFirst')}</option><option value="asc">${e('oldestFirst')}</option></select></label>
  <label class="check"><input type="checkbox" name="archived" id="f-archived" value="1"> ${e('archived')}</label>
  <div class="actions">
    <button type="button" id="clear" class="secondary">${e('clear')}</button>
    ${options.canExport === false ? '' : `<a class="button" id="export" href="./export.csv" download>${e('exportCsv')}</a>`}
  </div>
  <p class="error" id="filter-error" role="alert" hidden></p>
</form>
<p class="single" id="single" hidden><span>${e('singleEntry')}</span> <a href="./" id="show-all">${e('showAll')}</a></p>
<main id="log"></main>
<p class="more"><button type="button" id="load-more" hidden>${e('loadMore')}</button></p>
<script nonce="${nonce}">
"use strict";
const CONFIG = ${scriptJson(config)};
${SCRIPT}
</script>
</body>
</html>
`
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** JSON that cannot end the script element or open a comment inside it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

const STYLE = `
:root { color-scheme: light dark; --ink: #1d2330; --muted: #5d6679; --line: #d0d5dd; --bg: #f8f9fb; --card: #fff; --accent: #2f5bd3; --accent-ink: #fff;
  --bad: #b42318; --good: #067647; --warn: #b54708; --old: #912018; --new: #05603a; }
@media (prefers-color-scheme: dark) {
  :root { --ink: #e6e8ee; --muted: #a3abbd; --line: #3a4152; --bg: #14171f; --card: #1d212b; --accent: #8fb0ff; --accent-ink: #10131a;
    --bad: #ff8f86; --good: #6fdca6; --warn: #ffb86b; --old: #ff9d94; --new: #7ee2b0; }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { overflow-x: hidden; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; padding: 16px 24px 8px; }
h1 { font-size: 20px; margin: 0; }
.summary, .zone { color: var(--muted); margin: 0; }
#filters-toggle { display: none; margin-left: auto; }
.filters { display: flex; flex-wrap: wrap; gap: 10px 14px; align-items: end; padding: 12px 24px; background: var(--card); border-block: 1px solid var(--line); }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 3px; }
.filters label.check { flex-direction: row; align-items: center; gap: 6px; font-size: 13px; color: var(--ink); }
.filters .grow { flex: 1 1 180px; }
.filters .actions { display: flex; gap: 8px; align-items: center; }
select, input { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--card); color: var(--ink); min-width: 0; max-width: 100%; }
select { min-width: 120px; }
input[type=checkbox] { min-width: 0; width: 16px; height: 16px; }
input[aria-invalid=true] { border-color: var(--bad); box-shadow: 0 0 0 1px var(--bad); }
.button, button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); text-decoration: none; cursor: pointer; display: inline-block; }
button.secondary { background: transparent; color: var(--accent); }
.button[aria-disabled=true] { opacity: .5; pointer-events: none; }
.filters .error { flex-basis: 100%; margin: 0; color: var(--bad); font-weight: 600; }
main { padding: 8px 24px 0; max-width: 1100px; }
main.stale { opacity: .4; }
h2.day { font-size: 13px; letter-spacing: .02em; color: var(--muted); margin: 22px 0 8px; }
.entry { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin: 6px 0; padding: 8px 12px; }
.entry:target, .entry.only { border-color: var(--accent); }
.entry .head { display: grid; grid-template-columns: 52px minmax(120px, 200px) 130px 1fr auto; gap: 10px; align-items: baseline; }
.entry .tools { display: flex; gap: 4px; align-items: baseline; }
.time { color: var(--muted); font-variant-numeric: tabular-nums; }
.actor { overflow-wrap: anywhere; }
.actor.system { color: var(--muted); font-style: italic; }
.via { display: block; font-size: 12px; color: var(--warn); }
.action { font-weight: 600; }
.action.deleted, .action.disabled, .action.login_failed, .action.truncated { color: var(--bad); }
.action.created, .action.enabled, .action.restored { color: var(--good); }
.resource { overflow-wrap: anywhere; min-width: 0; }
.notes { color: var(--muted); font-size: 13px; margin-left: 6px; }
.toggle, .permalink { border: 0; background: none; color: var(--accent); padding: 2px 4px; font-size: 13px; }
ul.fields { list-style: none; margin: 4px 0 0 62px; padding: 0; overflow-wrap: anywhere; }
ul.fields li::before { content: "└─ "; color: var(--muted); }
.old { color: var(--old); } .new { color: var(--new); }
.field-name { font-weight: 500; }
dl.details { display: grid; grid-template-columns: 140px minmax(0, 1fr); gap: 2px 12px; margin: 8px 0 2px 62px; font-size: 13px; }
dl.details dt { color: var(--muted); } dl.details dd { margin: 0; overflow-wrap: anywhere; }
.more { padding: 8px 24px 32px; }
.empty { color: var(--muted); padding: 24px 0; }
.single { padding: 8px 24px 0; margin: 0; }
@media (max-width: 760px) {
  header { padding: 12px 12px 6px; }
  #filters-toggle { display: inline-block; }
  .filters { padding: 10px 12px; }
  .filters.collapsed > :not(.error) { display: none; }
  .filters.collapsed { padding-block: 0; border-block: 0; }
  .filters label { flex: 1 1 140px; }
  .filters select, .filters input:not([type=checkbox]) { width: 100%; min-width: 0; }
  main { padding: 4px 12px 0; }
  .more, .single { padding-inline: 12px; }
  .entry { padding: 8px 10px; }
  .entry .head { grid-template-columns: auto minmax(0, 1fr) auto; gap: 2px 8px; }
  .entry .head .time { grid-column: 1; grid-row: 1; }
  .entry .head .actor { grid-column: 2; grid-row: 1; }
  .entry .head .tools { grid-column: 3; grid-row: 1 / span 2; align-self: start; }
  .entry .head .action { grid-column: 1; grid-row: 2; }
  .entry .head .resource { grid-column: 2; grid-row: 2; }
  ul.fields, dl.details { margin-left: 0; }
  dl.details { grid-template-columns: minmax(0, 1fr); }
  dl.details dd { margin-bottom: 4px; }
}
`

// Runs in the browser. Plain ES2020, no dependencies; data only ever goes through textContent.
const SCRIPT = `
const M = CONFIG.messages;
const form = document.getElementById('filters');
const logEl = document.getElementById('log');
const moreButton = document.getElementById('load-more');
const summary = document.getElementById('summary');
const zoneNote = document.getElementById('zone-note');
const errorEl = document.getElementById('filter-error');
const exportLink = document.getElementById('export');
const toggleFilters = document.getElementById('filters-toggle');
const single = document.getElementById('single');
const tzSelect = document.getElementById('f-tz');
const viewerZone = (() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (_) { return 'UTC'; } })();
let cursor = null;
let shown = 0;
let lastDay = null;
let generation = 0;
let choicesReady = null;

function t(key, values) {
  return String(M[key]).replace(/\\{(\\w+)\\}/g, (_, name) => (values && name in values ? String(values[name]) : ''));
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

for (const zone of [...new Set([CONFIG.timeZone, 'UTC', viewerZone])]) tzSelect.append(new Option(zone, zone));

function zone() { return tzSelect.value || CONFIG.timeZone; }
function formats() {
  const tz = zone();
  return {
    day: new Intl.DateTimeFormat(M.lang, { timeZone: tz, weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' }),
    time: new Intl.DateTimeFormat(M.lang, { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
  };
}
let fmt = formats();

/** The form as query parameters, defaults left out: the page URL, /entries and /export.csv share them. */
function filterParams() {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) {
    if (!value) continue;
    if (key === 'tz' && value === CONFIG.timeZone) continue;
    params.set(key, String(value));
  }
  return params;
}

function fillForm(params) {
  for (const control of form.elements) {
    if (!control.name) continue;
    const value = params.get(control.name) || '';
    if (control.type === 'checkbox') control.checked = value === control.value;
    else if (control.tagName === 'SELECT') {
      if (value && ![...control.options].some((o) => o.value === value)) control.append(new Option(value, value));
      control.value = value || (control.name === 'tz' ? CONFIG.timeZone : '');
    } else control.value = value;
  }
}

function showError(message, field) {
  errorEl.textContent = message;
  errorEl.hidden = false;
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const target = field && form.elements.namedItem(field);
  if (target && target.setAttribute) target.setAttribute('aria-invalid', 'true');
  if (exportLink) { exportLink.setAttribute('aria-disabled', 'true'); exportLink.removeAttribute('href'); }
  logEl.replaceChildren();
  logEl.classList.add('stale');
  moreButton.hidden = true;
  summary.textContent = M.stale;
  form.classList.remove('collapsed');
  toggleFilters.setAttribute('aria-expanded', 'true');
}

function clearError() {
  errorEl.hidden = true;
  errorEl.textContent = '';
  logEl.classList.remove('stale');
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

function describeEntry(entry) {
  return actionLabelOf(entry) + ' ' + entry.resource + ' — ' + entry.actor + ', ' + fmt.time.format(new Date(entry.createdAt));
}

function renderEntry(entry, only) {
  const when = new Date(entry.createdAt);
  const day = fmt.day.format(when);
  if (day !== lastDay) { logEl.append(el('h2', 'day', day)); lastDay = day; }
  const box = el('article', 'entry' + (only ? ' only' : ''));
  box.dataset.id = entry.id;
  box.id = 'entry-' + entry.id;
  const head = el('div', 'head');
  const time = el('time', 'time', fmt.time.format(when));
  time.dateTime = entry.createdAt;
  const actor = el('span', 'actor' + (entry.isSystem ? ' system' : ''), entry.actor);
  if (entry.impersonator) actor.append(el('span', 'via', t('via', { name: entry.impersonator })));
  const resource = el('span', 'resource', entry.resource);
  if (entry.notes.length) resource.append(el('span', 'notes', entry.notes.join(' · ')));
  const what = describeEntry(entry);
  const toggle = el('button', 'toggle', M.details);
  toggle.type = 'button';
  toggle.setAttribute('aria-expanded', 'false');
  toggle.setAttribute('aria-label', t('detailsOf', { what }));
  const link = el('a', 'permalink', M.link);
  link.href = '?entry=' + encodeURIComponent(entry.id);
  link.setAttribute('aria-label', t('linkTo', { what }));
  const tools = el('span', 'tools');
  tools.append(toggle, link);
  head.append(time, actor, el('span', 'action ' + entry.action.replace(/[^a-z0-9_]/g, '_'), actionLabelOf(entry)), resource, tools);
  box.append(head);
  const fields = el('ul', 'fields');
  let hiddenCount = 0;
  for (const field of entry.fields) {
    const item = el('li', field.summary ? '' : 'extra');
    if (!field.summary) { item.hidden = true; hiddenCount++; }
    item.append(el('span', 'field-name', field.name), document.createTextNode(': '));
    if (field.old !== null && field.new !== null) {
      item.append(el('span', 'old', field.old), document.createTextNode(' → '), el('span', 'new', field.new));
    } else {
      item.append(el('span', field.new !== null ? 'new' : 'old', field.new !== null ? field.new : field.old));
    }
    fields.append(item);
  }
  if (hiddenCount) fields.append(el('li', 'hint', '+' + hiddenCount + ' more'));
  if (entry.fields.length) box.append(fields);
  const details = el('dl', 'details');
  details.hidden = true;
  for (const [label, value] of entry.details) details.append(el('dt', '', label), el('dd', '', value));
  box.append(details);
  toggle.addEventListener('click', () => {
    const open = details.hidden;
    details.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.setAttribute('aria-label', t(open ? 'hideDetailsOf' : 'detailsOf', { what }));
    toggle.textContent = open ? M.hide : M.details;
    for (const extra of fields.querySelectorAll('li.extra')) extra.hidden = !open;
    const hint = fields.querySelector('li.hint');
    if (hint) hint.hidden = open;
  });
  logEl.append(box);
}

function showSummary(total) {
  summary.textContent = t('showing', { n: shown, total }) + ' ' + (total === 1 ? M.entry : M.entries);
}

async function load(reset) {
  const mine = reset ? ++generation : generation;
  const pageParams = new URLSearchParams(location.search);
  const entryId = pageParams.get('entry');
  const params = entryId ? new URLSearchParams({ entry: entryId }) : filterParams();
  if (!params.has('tz')) params.set('tz', zone());
  if (!reset && cursor) params.set('cursor', cursor);
  fmt = formats();
  zoneNote.textContent = t('timesIn', { zone: zone() });
  single.hidden = !entryId;
  try {
    const res = await fetch('./entries?' + params.toString(), { headers: { accept: 'application/json' } });
    const body = await res.json();
    if (mine !== generation) return;
    if (!res.ok) { showError(body.error || res.statusText, body.field); return; }
    clearError();
    if (exportLink) {
      const exportParams = filterParams();
      exportLink.href = './export.csv' + (exportParams.toString() ? '?' + exportParams.toString() : '');
      exportLink.removeAttribute('aria-disabled');
    }
    if (reset) { logEl.replaceChildren(); shown = 0; lastDay = null; }
    body.entries.forEach((entry) => renderEntry(entry, Boolean(entryId)));
    shown += body.entries.length;
    cursor = body.nextCursor;
    moreButton.hidden = !cursor;
    showSummary(body.total);
    if (shown === 0) logEl.append(el('p', 'empty', entryId ? M.notFound : M.none));
  } catch (error) {
    if (mine !== generation) return;
    showError(t('loadFailed', { what: error.message }));
  }
}

/** Filters changed: the URL follows (Back returns to the previous view), then the list. */
function filtersChanged() {
  const params = filterParams();
  const next = location.pathname + (params.toString() ? '?' + params.toString() : '');
  if (next !== location.pathname + location.search) history.pushState(null, '', next);
  load(true);
}

function fillSelect(select, items) {
  const keep = select.value;
  for (const item of items) if (![...select.options].some((o) => o.value === item.value)) select.append(new Option(item.label, item.value));
  select.value = keep;
}

function label(text) {
  const named = (M.names || {})[text];
  if (named) return named;
  const words = String(text).replace(/[_.]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function actionLabelOf(entry) {
  return (M.names || {})[entry.action] || entry.actionLabel;
}

async function loadChoices() {
  try {
    const res = await fetch('./choices');
    if (!res.ok) return;
    const choices = await res.json();
    const counts = choices.counts || {};
    const about = (map, key, text) => (map && map[key] ? text + ' (≈' + Number(map[key]).toLocaleString(M.lang || 'en') + ')' : text);
    fillSelect(document.getElementById('f-actor'), choices.actors.map((a) => ({ label: about(counts.actors, a.id, a.name), value: a.id })));
    if (!choices.hasDatabaseActors) {
      const option = document.querySelector('#f-actor option[value=database]');
      if (option && option.parentElement.value !== 'database') option.remove();
    }
    fillSelect(document.getElementById('f-impersonator'), (choices.impersonators || []).map((a) => ({ label: a.name, value: a.id })));
    fillSelect(document.getElementById('f-action'), choices.actions.map((a) => ({ label: about(counts.actions, a, label(a)), value: a })));
    fillSelect(document.getElementById('f-type'), choices.resourceTypes.map((type) => ({ label: about(counts.resourceTypes, type, label(type)), value: type })));
    fillSelect(document.getElementById('f-location'), choices.locations.map((l) => ({ label: about(counts.locations, l, l), value: l })));
  } catch (_) { /* the filters still work with the defaults */ }
}

function narrow() { return window.matchMedia('(max-width: 760px)').matches; }
if (narrow()) form.classList.add('collapsed');
toggleFilters.addEventListener('click', () => {
  const open = form.classList.toggle('collapsed') === false;
  toggleFilters.setAttribute('aria-expanded', String(open));
  if (open) { const first = form.querySelector('select, input'); if (first) first.focus(); }
});

let typingTimer;
form.addEventListener('change', (event) => {
  if (event.target.type === 'search' || event.target.type === 'text') return;
  filtersChanged();
});
form.addEventListener('input', (event) => {
  if (event.target.type !== 'search' && event.target.type !== 'text') return;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(filtersChanged, 300);
});
form.addEventListener('submit', (event) => { event.preventDefault(); clearTimeout(typingTimer); filtersChanged(); });
document.getElementById('clear').addEventListener('click', () => {
  fillForm(new URLSearchParams());
  filtersChanged();
  document.getElementById('f-actor').focus();
});
moreButton.addEventListener('click', () => load(false));
window.addEventListener('popstate', () => { fillForm(new URLSearchParams(location.search)); load(true); });
fillForm(new URLSearchParams(location.search));
choicesReady = loadChoices();
load(true);
`
