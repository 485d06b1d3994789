// The approvals inbox: GET /api/v1/approvals every few seconds, a live countdown, and
// one click (or a form built from the answer's JSON schema) to decide. Text only ever
// goes through textContent: what bookings carry never becomes markup.
'use strict';

const REFRESH_MS = 5000;
const SOON_S = 15 * 60;
const $ = (id) => document.getElementById(id);

const state = { token: sessionStorage.getItem('approverToken'), approvals: [], cursor: null, selected: null, timer: null };

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

async function api(path, init = {}) {
  const headers = { authorization: `Bearer ${state.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers };
  const res = await fetch(path, { ...init, headers });
  const body = await res.json().catch(() => ({}));
  return { status: res.status, body };
}

function errorText(body) {
  const error = body && body.error;
  if (!error) return 'unexpected answer';
  const fields = (error.fields || []).map((f) => `${f.field}: ${f.message}`).join('; ');
  return fields ? `${error.message} (${fields})` : error.message;
}

function timeLeft(deadline) {
  if (!deadline) return { text: 'no deadline', soon: false };
  const s = Math.round((Date.parse(deadline) - Date.now()) / 1000);
  if (s <= 0) return { text: 'deadline passed', soon: true };
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return { text: `${h ? `${h} h ` : ''}${h || m ? `${m} min ` : ''}${sec} s left`, soon: s < SOON_S };
}

// ---------------------------------------------------------------------------------------
// Signing in

async function signIn(token) {
  state.token = token;
  // The codec session first: the HttpOnly cookie that lets the Temporal UI show this person decoded payloads.
  const codec = await api('/codec/session', { method: 'POST' });
  const { status, body } = await api('/api/v1/approvals?limit=1');
  if (status !== 200) {
    state.token = null;
    sessionStorage.removeItem('approverToken');
    if (codec.status === 200) {
      // An operator: the Temporal UI is theirs, the approvals list is not.
      $('sign-in-error').textContent = '';
      $('ui-session').textContent = `Signed in to the Temporal UI as ${codec.body.client} (${codec.body.role}) for ${Math.round(codec.body.expiresInSeconds / 3600)} h: it shows decoded payloads. The approvals list is for approvers.`;
      $('ui-session').hidden = false;
      $('sign-out').hidden = false;
      return;
    }
    $('sign-in-error').textContent = status === 401 || status === 403 ? `Refused: ${errorText(body)}` : `Cannot sign in: ${errorText(body)}`;
    return;
  }
  sessionStorage.setItem('approverToken', token);
  $('sign-in').hidden = true;
  $('inbox').hidden = false;
  $('sign-out').hidden = false;
  await refresh();
  state.timer = setInterval(refresh, REFRESH_MS);
}

async function signOut() {
  sessionStorage.removeItem('approverToken');
  await fetch('/codec/session', { method: 'DELETE' });
  location.reload();
}

// ---------------------------------------------------------------------------------------
// The list

/** The list's query: the filters, which the page's own address may preset (?provider=...&client=...). */
function filters() {
  const params = new URLSearchParams({ limit: '100' });
  for (const [name, id] of [['provider', 'provider-filter'], ['client', 'client-filter']]) {
    const value = $(id).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

async function refresh() {
  const { status, body } = await api(`/api/v1/approvals?${filters()}`);
  if (status !== 200) {
    $('list-error').textContent = `Could not refresh: ${errorText(body)}`;
    return;
  }
  $('list-error').textContent = '';
  state.approvals = body.approvals;
  state.cursor = body.nextCursor;
  renderList();
  if (state.selected) {
    const still = state.approvals.find((a) => a.bookingId === state.selected.bookingId);
    if (still) {
      // Re-render only when it moved on: a form being filled in must not be wiped.
      const moved = JSON.stringify(still.waitingFor) !== JSON.stringify(state.selected.waitingFor);
      state.selected = still;
      if (moved) renderDetail();
    } else {
      $('answers').replaceChildren();
      $('answer-form').hidden = true;
      $('detail-what').textContent = 'No longer waiting for a person.';
    }
  }
}

async function loadMore() {
  if (!state.cursor) return;
  const params = filters();
  params.set('cursor', state.cursor);
  const { status, body } = await api(`/api/v1/approvals?${params}`);
  if (status !== 200) return void ($('list-error').textContent = errorText(body));
  state.approvals = state.approvals.concat(body.approvals);
  state.cursor = body.nextCursor;
  renderList();
}

function renderList() {
  const list = $('list');
  list.replaceChildren(
    ...state.approvals.map((a) => {
      const button = el('button', undefined, { type: 'button', 'data-booking': a.bookingId });
      if (state.selected && state.selected.bookingId === a.bookingId) button.setAttribute('aria-current', 'true');
      const left = timeLeft(a.waitingFor.deadline);
      button.append(
        el('span', `${a.provider} · ${a.stage}`, { class: 'provider' }),
        el('span', a.waitingFor.what || a.waitingFor.actions.join(', ')),
        el('span', `for the ${a.waitingFor.on} · ${a.client}${a.trip ? ` · trip ${a.trip.slice(0, 8)}` : ''}`),
        el('span', left.text, { class: `left${left.soon ? ' soon' : ''}`, 'data-deadline': a.waitingFor.deadline || '' }),
      );
      button.addEventListener('click', () => select(a.bookingId));
      return el('li').appendChild(button).parentNode;
    }),
  );
  $('count').textContent = `(${state.approvals.length}${state.cursor ? '+' : ''})`;
  $('empty').hidden = state.approvals.length > 0;
  $('more').hidden = !state.cursor;
}

function tick() {
  for (const node of document.querySelectorAll('[data-deadline]')) {
    const left = timeLeft(node.getAttribute('data-deadline'));
    node.textContent = node.id === 'detail-left' ? `${left.text} (${node.getAttribute('data-deadline')})` : left.text;
    node.classList.toggle('soon', left.soon);
  }
}

// ---------------------------------------------------------------------------------------
// One booking

function select(bookingId) {
  state.selected = state.approvals.find((a) => a.bookingId === bookingId) || null;
  $('outcome').textContent = '';
  renderList();
  renderDetail();
  $('detail-title').focus();
}

/** Data to decide on: a list of like objects is a table (hotels24's differences), an object a list of facts. */
function renderData(value, name) {
  if (Array.isArray(value) && value.length && value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
    const columns = [...new Set(value.flatMap((v) => Object.keys(v)))];
    const table = el('table');
    if (name) table.append(el('caption', name));
    const head = el('tr');
    for (const c of columns) head.append(el('th', c, { scope: 'col' }));
    table.append(head);
    for (const row of value) {
      const tr = el('tr');
      for (const c of columns) tr.append(el('td', typeof row[c] === 'object' && row[c] !== null ? JSON.stringify(row[c]) : row[c] ?? ''));
      table.append(tr);
    }
    return table;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const dl = el('dl', undefined, { class: 'facts' });
    for (const [k, v] of Object.entries(value)) {
      const dd = el('dd');
      if (v && typeof v === 'object') dd.append(renderData(v, k));
      else dd.textContent = String(v);
      dl.append(el('dt', k), dd);
    }
    return dl;
  }
  return el('span', Array.isArray(value) ? value.join(', ') : String(value));
}

function renderDetail() {
  const a = state.selected;
  $('detail').hidden = !a;
  if (!a) return;
  $('detail-title').textContent = `${a.provider} booking ${a.bookingId}`;
  $('detail-title').setAttribute('tabindex', '-1');
  $('detail-what').textContent = a.waitingFor.what || '';
  const facts = $('detail-facts');
  facts.replaceChildren();
  const left = el('dd', undefined, { id: 'detail-left', 'data-deadline': a.waitingFor.deadline || '' });
  for (const [k, v] of [
    ['status', `${a.status} (${a.stage})`],
    ['waits for', `the ${a.waitingFor.on}`],
    ['client', a.client],
    ...(a.trip ? [['trip', `${a.trip} (answering this leg moves the trip)`]] : []),
    ['at the deadline', a.waitingFor.atDeadline],
  ]) facts.append(el('dt', k), el('dd', v));
  facts.append(el('dt', 'deadline'), left);
  // What differs and what is missing come first: they are what the approver decides on.
  const details = a.waitingFor.details || {};
  const first = ['differences', 'missing'].filter((k) => k in details);
  const ordered = Object.fromEntries([...first, ...Object.keys(details).filter((k) => !first.includes(k))].map((k) => [k, details[k]]));
  $('detail-data').replaceChildren(...(a.waitingFor.details ? [el('h3', 'To decide on'), renderData(ordered)] : []));
  $('answers').replaceChildren(
    ...a.answers.map((answer) => {
      const button = el('button', answer.name, { type: 'button', title: answer.summary });
      button.addEventListener('click', () => (answer.schema && Object.keys(answer.schema.properties || {}).length ? openForm(a, answer) : send(a, answer, {})));
      return button;
    }),
  );
  $('answer-form').hidden = true;
  $('timeline').replaceChildren(...a.timeline.map((t) => el('li', `${t.at} · ${t.status} (${t.stage}) · ${t.note}${t.by ? ` · by ${t.by}` : ''}`)));
  const link = $('temporal-link');
  link.hidden = !a.temporalUrl;
  if (a.temporalUrl) link.href = a.temporalUrl;
  tick();
}

/**
 * Form fields for a JSON schema's properties (nested objects as fieldsets: requisites).
 * The fields of an optional object are optional in the form: left empty, it is not sent.
 */
function fieldsFor(schema, prefix, optional = false) {
  const required = new Set(optional ? [] : schema.required || []);
  return Object.entries(schema.properties || {}).map(([name, prop]) => {
    const id = `field-${prefix}${name}`;
    const label = `${name}${required.has(name) ? ' (required)' : ''}`;
    if (prop.type === 'object' && prop.properties) {
      const fieldset = el('fieldset', undefined, { 'data-object': name });
      fieldset.append(el('legend', label), ...fieldsFor(prop, `${prefix}${name}.`, !required.has(name)));
      return fieldset;
    }
    const wrap = el('div');
    let input;
    if (Array.isArray(prop.enum)) {
      input = el('select', undefined, { id, name });
      if (!required.has(name)) input.append(el('option', '', { value: '' }));
      for (const option of prop.enum) input.append(el('option', option, { value: option }));
    } else if (prop.type === 'boolean') {
      input = el('input', undefined, { id, name, type: 'checkbox' });
    } else {
      input = el('input', undefined, { id, name, type: prop.type === 'integer' || prop.type === 'number' ? 'number' : 'text' });
      if (prop.maxLength) input.setAttribute('maxlength', prop.maxLength);
      if (prop.minimum !== undefined) input.setAttribute('min', prop.minimum);
      if (prop.maximum !== undefined) input.setAttribute('max', prop.maximum);
    }
    input.setAttribute('data-type', prop.type || 'string');
    if (required.has(name)) input.required = true;
    wrap.append(el('label', label, { for: id }), input);
    return wrap;
  });
}

function valuesOf(container) {
  const body = {};
  for (const child of container.children) {
    if (child.matches('fieldset[data-object]')) {
      const nested = valuesOf(child);
      if (Object.keys(nested).length) body[child.getAttribute('data-object')] = nested;
      continue;
    }
    const input = child.querySelector(':scope > input, :scope > select');
    if (!input) continue;
    const type = input.getAttribute('data-type');
    if (type === 'boolean') {
      if (input.checked) body[input.name] = true;
    } else if (input.value !== '') {
      body[input.name] = type === 'integer' || type === 'number' ? Number(input.value) : input.value;
    }
  }
  return body;
}

function openForm(a, answer) {
  const form = $('answer-form');
  form.replaceChildren(el('h3', answer.name), el('p', answer.summary), ...fieldsFor(answer.schema, ''), el('button', `Send ${answer.name}`, { type: 'submit' }));
  form.onsubmit = (event) => {
    event.preventDefault();
    void send(a, answer, valuesOf(form));
  };
  form.hidden = false;
  const first = form.querySelector('input, select');
  if (first) first.focus();
}

async function send(a, answer, body) {
  $('outcome').textContent = `Sending ${answer.name}…`;
  const { status, body: view } = await api(`/api/v1/bookings/${a.bookingId}/${answer.name}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'idempotency-key': crypto.randomUUID() },
  });
  if (status === 200) $('outcome').textContent = `Done: the booking is now ${view.status} (${view.stage}).`;
  else if (status === 202) $('outcome').textContent = `Accepted: the provider is still working on it (${view.status}, ${view.stage}).`;
  else $('outcome').textContent = `Not done (${status}): ${errorText(view)}`;
  if (status === 200 || status === 202) $('answer-form').hidden = true;
  await refresh();
}

// ---------------------------------------------------------------------------------------

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn($('token').value.trim());
});
$('sign-out').addEventListener('click', () => void signOut());
const preset = new URLSearchParams(location.search);
$('provider-filter').value = preset.get('provider') || '';
$('client-filter').value = preset.get('client') || '';
$('provider-filter').addEventListener('change', () => void refresh());
$('client-filter').addEventListener('change', () => void refresh());
$('more').addEventListener('click', () => void loadMore());
setInterval(tick, 1000);
if (state.token) void signIn(state.token);
