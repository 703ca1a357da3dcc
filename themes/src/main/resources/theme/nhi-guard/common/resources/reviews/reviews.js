// NHI Guard access-reviews page: a reviewer signs in (public client `nhi-approvals`,
// authorization code + PKCE, as on the approvals page), sees the identities they review with
// what they hold against what their tokens were requested for, and decides keep / narrow /
// retire through /admin/realms/{realm}/nhi/reviews. A narrowing is held by the mutation guard:
// the page then links to the change request on the approvals page.

const CLIENT_ID = 'nhi-approvals';
const store = window.sessionStorage;
const base = location.origin + location.pathname.split('/resources/')[0];
const pageUrl = location.origin + location.pathname;
const approvalsUrl = pageUrl.replace(/\/reviews\/index\.html$/, '/approvals/index.html');
const $ = (id) => document.getElementById(id);

let realm = null;
let token = null;
let campaign = null;

function say(text, isError = false) {
  const m = $('message');
  m.textContent = text;
  m.classList.toggle('error', isError);
  m.hidden = !text;
}

function show(section) {
  for (const id of ['realm-form', 'campaigns', 'items']) {
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

async function signIn() {
  const verifier = randomString();
  const state = randomString();
  store.setItem('nhi.reviews.pkce', JSON.stringify({ verifier, state, realm, hash: location.hash }));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const params = new URLSearchParams({
    client_id: CLIENT_ID, redirect_uri: pageUrl, response_type: 'code', scope: 'openid', state,
    code_challenge: b64url(digest), code_challenge_method: 'S256',
  });
  location.assign(`${oidc('auth')}?${params}`);
}

async function finishSignIn(query) {
  const saved = JSON.parse(store.getItem('nhi.reviews.pkce') || 'null');
  store.removeItem('nhi.reviews.pkce');
  history.replaceState(null, '', pageUrl + (saved && saved.hash ? saved.hash : ''));
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
      grant_type: 'authorization_code', client_id: CLIENT_ID, code: query.get('code'),
      redirect_uri: pageUrl, code_verifier: saved.verifier,
    }),
  });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`Token request failed: ${body.error_description || body.error}`);
  }
  token = body.access_token;
  store.setItem('nhi.reviews.session', JSON.stringify({ realm, token }));
}

async function api(method, path, body) {
  const response = await fetch(`${base}/admin/realms/${encodeURIComponent(realm)}/nhi/reviews/${path}`, {
    method,
    headers: Object.assign({ Authorization: `Bearer ${token}`, Prefer: 'respond-async' },
      body ? { 'Content-Type': 'application/json' } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  return { status: response.status, json, text };
}

function errorText(r) {
  return (r.json && (r.json.error_description || r.json.error)) || `HTTP ${r.status}`;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

async function showCampaigns() {
  const r = await api('GET', 'campaigns');
  if (r.status !== 200) {
    throw new Error(errorText(r));
  }
  const rows = $('campaign-rows');
  rows.replaceChildren();
  for (const c of r.json) {
    const tr = el('tr', null, 'row');
    tr.tabIndex = 0;
    for (const v of [c.id, c.startedAt, c.deadline, c.state, `${c.decided} / ${c.items}`]) tr.append(el('td', v));
    const open = () => { location.hash = `realm=${encodeURIComponent(realm)}&campaign=${c.id}`; showItems(c.id); };
    tr.addEventListener('click', open);
    tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
    rows.append(tr);
  }
  $('no-campaigns').hidden = r.json.length > 0;
  show('campaigns');
}

function fact(dl, name, value) {
  dl.append(el('dt', name), el('dd', value === undefined || value === null || value === '' ? '—' : value));
}

async function showItems(id) {
  campaign = id;
  const r = await api('GET', `campaigns/${encodeURIComponent(id)}/items`);
  if (r.status !== 200) {
    throw new Error(errorText(r));
  }
  $('campaign-title').textContent = `Campaign ${id}`;
  const list = $('item-list');
  list.replaceChildren();
  for (const item of r.json) {
    const s = item.snapshot;
    const box = el('article', null, item.decision ? 'item decided' : 'item');
    box.append(el('h3', `${s.clientId}${s.agent ? ' (agent)' : ''}`));
    const dl = el('dl');
    fact(dl, 'Purpose', s.purpose);
    fact(dl, 'Owner', s.owner ? `${s.owner.name || s.owner.id} (${s.owner.state})` : 'none');
    fact(dl, 'Last use', s.lastUsedAt || 'never');
    fact(dl, 'Credential', s.credential ? `${s.credential.type}, ${s.credential.ageDays ?? '?'} days` : '');
    fact(dl, 'Flags', (s.flags || []).join(', '));
    fact(dl, 'Roles requested', s.roles.requested.join(', '));
    fact(dl, 'Roles not requested', s.roles.unrequested.join(', '));
    fact(dl, 'Scopes requested', s.scopes.requested.join(', '));
    fact(dl, 'Scopes not requested', s.scopes.unrequested.join(', '));
    fact(dl, 'Clients called', (s.clientsCalled || []).join(', '));
    fact(dl, 'Reviewers', item.reviewers.map((p) => p.username || p.id).join(', ') + ` (${item.reviewerSource})`);
    fact(dl, 'Decision', item.decision ? `${item.decision} by ${item.decidedBy && item.decidedBy.username} at ${item.decidedAt}` : 'open');
    fact(dl, 'Snapshot digest', item.snapshotDigest);
    box.append(dl);
    if (!item.decision) {
      const actions = el('div', null, 'actions');
      for (const [label, decision] of [['Keep', 'keep'], ['Narrow (drop what was not requested)', 'narrow'], ['Retire', 'retire']]) {
        const b = el('button', label);
        b.type = 'button';
        b.addEventListener('click', () => decide(item, decision));
        actions.append(b);
      }
      box.append(actions);
    }
    list.append(box);
  }
  if (r.json.length === 0) {
    list.append(el('p', 'No items for you in this campaign.'));
  }
  show('items');
}

async function decide(item, decision) {
  const comment = $('comment').value.trim();
  const body = { digest: item.snapshotDigest };
  if (comment) body.comment = comment;
  const r = await api('POST', `campaigns/${encodeURIComponent(item.campaignId)}/items/${encodeURIComponent(item.id)}/${decision}`, body);
  if (r.status === 200) {
    say(`${item.clientId}: ${r.json.decision}`);
  } else if ((r.status === 202 || r.status === 409) && r.json && r.json.id && r.json.digest) {
    const link = `${approvalsUrl}#realm=${encodeURIComponent(realm)}&id=${r.json.id}`;
    say(`${item.clientId}: the narrowing is held as change request ${r.json.id}; it applies once another person approves it (${link}).`);
  } else {
    say(`${item.clientId}: ${errorText(r)}`, true);
  }
  await showItems(item.campaignId);
}

async function start() {
  const query = new URLSearchParams(location.search);
  try {
    if (query.has('code') || query.has('error')) {
      await finishSignIn(query);
    } else {
      const hash = new URLSearchParams(location.hash.slice(1));
      const session = JSON.parse(store.getItem('nhi.reviews.session') || 'null');
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
    const id = new URLSearchParams(location.hash.slice(1)).get('campaign');
    if (id) {
      await showItems(id);
    } else {
      await showCampaigns();
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
$('back').addEventListener('click', () => { say(''); showCampaigns().catch((e) => say(e.message, true)); });

start();
