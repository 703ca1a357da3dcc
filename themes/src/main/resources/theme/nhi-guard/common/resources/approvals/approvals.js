// NHI Guard approvals page: lists a realm's change requests and lets an approver approve or
// reject them through the mutation guard's admin REST API. The approver signs in with the
// public client `nhi-approvals` (authorization code + PKCE). When the guard answers an approval
// with an RFC 9470 step-up challenge (401 insufficient_user_authentication), the page signs the
// approver in again with the challenge's max_age / acr_values and retries the same approval.

const CLIENT_ID = 'nhi-approvals';
const store = window.sessionStorage;
const base = location.origin + location.pathname.split('/resources/')[0];
const pageUrl = location.origin + location.pathname;
const $ = (id) => document.getElementById(id);

let realm = null;
let token = null;

function say(text, isError = false) {
  const m = $('message');
  m.textContent = text;
  m.classList.toggle('error', isError);
  m.hidden = !text;
}

function show(section) {
  for (const id of ['realm-form', 'list', 'detail']) {
    $(id).hidden = id !== section;
  }
}

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

function oidc(path) {
  return `${base}/realms/${encodeURIComponent(realm)}/protocol/openid-connect/${path}`;
}

// Starts a sign-in; `challenge` carries max_age / acr_values of a step-up challenge.
async function signIn(challenge) {
  const verifier = randomString();
  const state = randomString();
  store.setItem('nhi.pkce', JSON.stringify({ verifier, state, realm }));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const params = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: pageUrl,
    response_type: 'code',
    scope: 'openid',
    state,
    code_challenge: b64url(digest),
    code_challenge_method: 'S256',
  });
  if (challenge) {
    params.set('prompt', 'login');
    params.set('max_age', String(challenge.max_age ?? 0));
    if (challenge.acr_values) {
      params.set('acr_values', challenge.acr_values);
    }
  }
  location.assign(`${oidc('auth')}?${params}`);
}

async function finishSignIn(query) {
  const saved = JSON.parse(store.getItem('nhi.pkce') || 'null');
  store.removeItem('nhi.pkce');
  history.replaceState(null, '', pageUrl);
  if (query.get('error')) {
    throw new Error(`Sign-in failed: ${query.get('error_description') || query.get('error')}`);
  }
  if (!saved || saved.state !== query.get('state')) {
    throw new Error('Sign-in answer does not match the request; sign in again.');
  }
  realm = saved.realm;
  const response = await fetch(oidc('token'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      code: query.get('code'),
      redirect_uri: pageUrl,
      code_verifier: saved.verifier,
    }),
  });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`Token request failed: ${body.error_description || body.error}`);
  }
  token = body.access_token;
  store.setItem('nhi.session', JSON.stringify({ realm, token }));
}

async function api(method, path, body) {
  const response = await fetch(`${base}/admin/realms/${encodeURIComponent(realm)}/mutation-guard/${path}`, {
    method,
    headers: Object.assign({ Authorization: `Bearer ${token}` }, body ? { 'Content-Type': 'application/json' } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  return { status: response.status, json, text };
}

function errorText(r) {
  return (r.json && (r.json.error_description || r.json.errorMessage || r.json.error)) || `HTTP ${r.status}`;
}

function time(ms) {
  return ms ? new Date(ms).toLocaleString() : '';
}

async function showList() {
  show('list');
  const state = $('state-filter').value;
  const r = await api('GET', `change-requests${state ? `?state=${encodeURIComponent(state)}` : ''}`);
  if (r.status === 401) {
    return signIn();
  }
  if (r.status !== 200) {
    say(`Could not list change requests: ${errorText(r)}`, true);
    return;
  }
  const items = Array.isArray(r.json) ? r.json : (r.json.items || []);
  const rows = $('rows');
  rows.replaceChildren();
  for (const cr of items) {
    const tr = document.createElement('tr');
    tr.className = 'row';
    tr.dataset.id = cr.id;
    for (const value of [cr.operation, cr.target, cr.requester?.username || cr.requester?.userId,
      time(cr.createdAt), `${cr.approvalsGiven} / ${cr.approvalsRequired}`, cr.state]) {
      const td = document.createElement('td');
      td.textContent = value ?? '';
      tr.append(td);
    }
    tr.addEventListener('click', () => showDetail(cr.id));
    rows.append(tr);
  }
  $('empty').hidden = items.length > 0;
}

function flatten(value, prefix, out) {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      flatten(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else {
    out[prefix] = value;
  }
  return out;
}

async function showDetail(id) {
  const r = await api('GET', `change-requests/${encodeURIComponent(id)}`);
  if (r.status !== 200) {
    say(`Could not read change request ${id}: ${errorText(r)}`, true);
    return;
  }
  const cr = r.json;
  show('detail');
  $('detail').dataset.id = cr.id;
  $('detail').dataset.digest = cr.digest;
  $('detail-title').textContent = `${cr.operation} — ${cr.state}`;
  const facts = $('detail-facts');
  facts.replaceChildren();
  for (const [k, v] of [['Request', `${cr.method} ${cr.path}`], ['Target', cr.target],
    ['Requested by', cr.requester?.username || cr.requester?.userId], ['Created', time(cr.createdAt)],
    ['Expires', time(cr.expiresAt)], ['Approvals', `${cr.approvalsGiven} of ${cr.approvalsRequired}`],
    ['Digest (SHA-256)', cr.digest], ['Reason', cr.reason]]) {
    if (!v) continue;
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    facts.append(dt, dd);
  }
  const diff = $('diff');
  diff.replaceChildren();
  // The server's diff where it has one: credentials by fingerprint, no read-only or order-only changes.
  const rows = [];
  if (cr.proposedAfter && Array.isArray(cr.diff)) {
    for (const d of cr.diff) {
      const mark = (v) => (d.sealed && v !== undefined ? { ...v, sealed: d.sealed } : v);
      rows.push([d.path, mark(d.from), mark(d.to)]);
    }
  } else {
    const before = flatten(cr.beforeImage ?? {}, '', {});
    const after = flatten(cr.proposedAfter ?? cr.body ?? {}, '', {});
    for (const field of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) rows.push([field, before[field], after[field]]);
    }
  }
  for (const row of rows) {
    const tr = document.createElement('tr');
    for (const v of row) {
      const td = document.createElement('td');
      td.textContent = v === undefined ? '—' : JSON.stringify(v);
      tr.append(td);
    }
    diff.append(tr);
  }
  $('raw').textContent = JSON.stringify({ method: cr.method, path: cr.path, body: cr.body }, null, 2);
  $('actions').hidden = cr.state !== 'PENDING';
}

async function decide(action, body) {
  const id = $('detail').dataset.id;
  const r = await api('POST', `change-requests/${encodeURIComponent(id)}/${action}`, body);
  if (r.status === 401 && r.json && r.json.error === 'insufficient_user_authentication') {
    // Step-up: sign in again as the challenge asks, then repeat this very decision.
    store.setItem('nhi.retry', JSON.stringify({ id, action, body }));
    say('This decision needs a fresh sign-in; redirecting …');
    return signIn(r.json);
  }
  if (r.status >= 200 && r.status < 300) {
    say(`${action === 'approve' ? 'Approved' : 'Rejected'}: change request ${id} is now ${r.json?.state ?? 'updated'}.`);
  } else {
    say(`Could not ${action} change request ${id}: ${errorText(r)}`, true);
  }
  await showDetail(id);
}

async function start() {
  const query = new URLSearchParams(location.search);
  const hash = new URLSearchParams(location.hash.slice(1));
  try {
    if (query.has('code') || query.has('error')) {
      await finishSignIn(query);
    } else {
      const session = JSON.parse(store.getItem('nhi.session') || 'null');
      const wanted = hash.get('realm');
      if (session && (!wanted || wanted === session.realm)) {
        ({ realm, token } = session);
      } else if (wanted) {
        realm = wanted;
        return signIn();
      } else {
        show('realm-form');
        return;
      }
    }
    $('who').textContent = `realm ${realm}`;
    const retry = JSON.parse(store.getItem('nhi.retry') || 'null');
    store.removeItem('nhi.retry');
    if (retry) {
      await showDetail(retry.id);
      await decide(retry.action, retry.body);
      return;
    }
    const id = hash.get('id');
    if (id) {
      await showDetail(id);
    } else {
      await showList();
    }
  } catch (e) {
    say(e.message, true);
    show('realm-form');
  }
}

$('choose-realm').addEventListener('submit', (e) => {
  e.preventDefault();
  realm = new FormData(e.target).get('realm').trim();
  signIn();
});
$('refresh').addEventListener('click', () => showList());
$('state-filter').addEventListener('change', () => showList());
$('back').addEventListener('click', () => { say(''); showList(); });
$('approve').addEventListener('click', () => decide('approve', { digest: $('detail').dataset.digest }));
$('reject').addEventListener('click', () => {
  const reason = $('reason').value.trim();
  if (!reason) {
    say('Give a reason for rejecting.', true);
    return;
  }
  decide('reject', { reason });
});

start();
