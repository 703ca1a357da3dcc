// NHI Guard approvals page: works a realm's change requests end to end through the mutation
// guard's admin REST API (list, diff, history, approve, reject, cancel, apply, roll back,
// containment confirm/revert) and shows the audit chain's verdict on the request's records.
//
// Sign-in: the public client `nhi-approvals` (authorization code + PKCE) of the sign-in realm,
// which is the managed realm itself or, for master-realm admins, `master` (#realm=x&login=master):
// Keycloak accepts a master-realm token for every realm its user administers. When the guard
// answers with an RFC 9470 step-up challenge (401 insufficient_user_authentication), the page
// signs in again with the challenge's max_age / acr_values and repeats the same action.
//
// Texts: Keycloak's theme message bundles of the nhi-guard common theme
// (theme/nhi-guard/common/messages/messages_<locale>.properties), read from
// GET /resources/{realm}/common/{locale}?theme=nhi-guard&source=true. Realm localization texts are
// left out: they would let a realm admin relabel Approve as Reject (the guard also refuses such
// overrides). Locale: #lang=, ?kc_locale=, else the browser's language.

const CLIENT_ID = 'nhi-approvals';
const STATES = ['PENDING', 'APPROVED', 'COOLING_DOWN', 'APPLIED', 'FAILED', 'REJECTED', 'CANCELLED', 'EXPIRED',
  'ROLLED_BACK', 'CONTAINED', 'CONFIRMED', 'REVERTED'];
const OPEN = ['PENDING', 'APPROVED', 'COOLING_DOWN'];
const store = window.sessionStorage;
const base = location.origin + location.pathname.split('/resources/')[0];
const pageUrl = location.origin + location.pathname;
const $ = (id) => document.getElementById(id);

let realm = null; // the realm whose change requests are shown
let loginRealm = null; // the realm the admin signed in to
let token = null;
let refreshToken = null;
// Who signed in: the ID token's claims. The access token may be a lightweight one (the documented client), which
// carries neither `sub` nor `preferred_username`.
let idToken = null;
let lang = 'en';
let texts = {};
let policy = null; // effective guard policy of `realm`, once read

// ------------------------------------------------------------------ texts

function t(key, ...args) {
  const text = texts[key] ?? key;
  return text.replace(/\{(\d+)\}/g, (m, i) => (args[i] === undefined ? m : String(args[i])));
}

async function bundle(forRealm, locale) {
  try {
    const r = await fetch(`${base}/resources/${encodeURIComponent(forRealm)}/common/${encodeURIComponent(locale)}?theme=nhi-guard&source=true`);
    if (!r.ok) return {};
    const list = await r.json();
    // The theme's own wording only: what an approver decides must not be worded by the realm's admins.
    return Object.fromEntries(list.filter((e) => e.source !== 'REALM').map((e) => [e.key, e.value]));
  } catch (e) {
    return {};
  }
}

async function loadTexts(forRealm) {
  const query = new URLSearchParams(location.search);
  const wanted = hashParams().get('lang') || query.get('kc_locale') || store.getItem('nhi.lang') || navigator.language || 'en';
  lang = wanted.split(/[-_]/)[0].toLowerCase();
  store.setItem('nhi.lang', lang);
  // English underneath, so a key missing from another bundle still reads as a sentence.
  const en = await bundle(forRealm, 'en');
  texts = lang === 'en' ? en : { ...en, ...(await bundle(forRealm, lang)) };
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-msg]')) {
    if (texts[el.dataset.msg]) el.textContent = texts[el.dataset.msg];
  }
  document.title = `${t('nhiapTitle')} — ${t('nhiapSubtitle')}`;
  const select = $('state-filter');
  select.replaceChildren();
  for (const s of STATES) select.append(new Option(t(`nhiapState.${s}`), s));
  select.append(new Option(t('nhiapStateAll'), ''));
}

// ------------------------------------------------------------------ page state

function hashParams() {
  return new URLSearchParams(location.hash.slice(1));
}

function pageHash(params) {
  const p = new URLSearchParams();
  p.set('realm', realm);
  if (loginRealm && loginRealm !== realm) p.set('login', loginRealm);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) p.set(k, v);
  const l = hashParams().get('lang');
  if (l) p.set('lang', l);
  return `#${p}`;
}

function say(text, isError = false, link = null) {
  const m = $('message');
  m.replaceChildren(text);
  if (link) {
    const a = document.createElement('a');
    a.id = 'result-link';
    a.href = link.href;
    a.textContent = link.text;
    m.append(' ', a);
  }
  m.classList.toggle('error', isError);
  m.setAttribute('role', isError ? 'alert' : 'status');
  m.hidden = !text;
}

function show(section) {
  for (const id of ['realm-form', 'list', 'detail']) {
    $(id).hidden = id !== section;
  }
}

function claims() {
  try {
    const jwt = idToken || token;
    return JSON.parse(decodeURIComponent(escape(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))));
  } catch (e) {
    return {};
  }
}

function saveSession() {
  store.setItem('nhi.session', JSON.stringify({ login: loginRealm, token, refreshToken, idToken }));
}

// ------------------------------------------------------------------ sign-in

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

function oidc(path) {
  return `${base}/realms/${encodeURIComponent(loginRealm)}/protocol/openid-connect/${path}`;
}

// Starts a sign-in to `loginRealm`; `challenge` carries max_age / acr_values of a step-up challenge.
async function signIn(challenge) {
  const verifier = randomString();
  const state = randomString();
  store.setItem('nhi.pkce', JSON.stringify({ verifier, state, login: loginRealm, hash: location.hash }));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const params = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: pageUrl,
    response_type: 'code',
    scope: 'openid',
    state,
    code_challenge: b64url(digest),
    code_challenge_method: 'S256',
    ui_locales: lang,
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

async function tokenRequest(params) {
  const response = await fetch(oidc('token'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...params }),
  });
  const body = await response.json();
  if (response.ok) {
    token = body.access_token;
    refreshToken = body.refresh_token ?? null;
    idToken = body.id_token ?? null;
    saveSession();
  }
  return { ok: response.ok, body };
}

async function finishSignIn(query) {
  const saved = JSON.parse(store.getItem('nhi.pkce') || 'null');
  store.removeItem('nhi.pkce');
  history.replaceState(null, '', pageUrl + (saved?.hash || ''));
  if (query.get('error')) {
    throw new Error(t('nhiapSignInFailed', query.get('error_description') || query.get('error')));
  }
  if (!saved || saved.state !== query.get('state')) {
    throw new Error(t('nhiapSignInMismatch'));
  }
  loginRealm = saved.login;
  const r = await tokenRequest({
    grant_type: 'authorization_code',
    code: query.get('code'),
    redirect_uri: pageUrl,
    code_verifier: saved.verifier,
  });
  if (!r.ok) {
    throw new Error(t('nhiapTokenFailed', r.body.error_description || r.body.error));
  }
}

async function refresh() {
  if (!refreshToken) return false;
  try {
    return (await tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken })).ok;
  } catch (e) {
    return false;
  }
}

// ------------------------------------------------------------------ API

async function api(module, method, path, body, retried = false) {
  const response = await fetch(`${base}/admin/realms/${encodeURIComponent(realm)}/${module}/${path}`, {
    method,
    headers: Object.assign({ Authorization: `Bearer ${token}`, Accept: 'application/json' },
      body ? { 'Content-Type': 'application/json' } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  const r = { status: response.status, json, text };
  if (r.status === 401 && !isStepUp(r) && !retried && await refresh()) {
    return api(module, method, path, body, true);
  }
  return r;
}

const guard = (method, path, body) => api('mutation-guard', method, path, body);

function isStepUp(r) {
  return r.status === 401 && r.json && r.json.error === 'insufficient_user_authentication';
}

function errorText(r) {
  if (r.status === 431) {
    // Keycloak refuses a request whose headers are too large: a full access token listing many realms' roles.
    return t('nhiapTokenTooLarge', loginRealm);
  }
  return (r.json && (r.json.error_description || r.json.errorMessage || r.json.error)) || `HTTP ${r.status}`;
}

function time(ms) {
  return ms ? new Date(ms).toLocaleString(lang) : '';
}

function stateLabel(s) {
  return texts[`nhiapState.${s}`] ?? s;
}

// ------------------------------------------------------------------ list

async function showList(state) {
  const select = $('state-filter');
  select.value = state ?? 'PENDING';
  const r = await guard('GET', `change-requests${select.value ? `?state=${encodeURIComponent(select.value)}` : ''}`);
  if (r.status === 401) {
    return signIn();
  }
  show('list');
  $('list-caption').textContent = t('nhiapListCaption', realm);
  if (r.status !== 200) {
    say(t('nhiapListFailed', errorText(r)), true);
    return;
  }
  const items = Array.isArray(r.json) ? r.json : (r.json.items || []);
  const rows = $('rows');
  rows.replaceChildren();
  for (const cr of items) {
    const tr = document.createElement('tr');
    tr.className = 'row';
    tr.dataset.id = cr.id;
    const href = pageHash({ id: cr.id });
    const first = document.createElement('td');
    const a = document.createElement('a');
    a.href = href;
    a.className = 'open';
    a.textContent = plain(operationLabel(cr));
    a.setAttribute('aria-label', t('nhiapOpenRow', operationLabel(cr), cr.target ?? '', stateLabel(cr.state)));
    first.append(a);
    tr.append(first);
    for (const value of [cr.target, cr.requester?.username || cr.requester?.userId]) {
      const td = document.createElement('td');
      plainCell(td, value ?? '');
      tr.append(td);
    }
    for (const value of [time(cr.createdAt), `${cr.approvalsGiven} / ${cr.approvalsRequired}`, stateLabel(cr.state)]) {
      const td = document.createElement('td');
      td.textContent = value ?? '';
      tr.append(td);
    }
    // The whole row opens the request for a pointer; the link is what the keyboard reaches.
    tr.addEventListener('click', (e) => { if (e.target !== a) location.hash = href; });
    rows.append(tr);
  }
  $('empty').hidden = items.length > 0;
}

// ------------------------------------------------------------------ detail

// A credential is never shown, not by value, not by fingerprint, and not as equal or unequal to another:
// only where one is (present), that the request supplies one, or that one is removed.
const SEALED_WORDS = { supplied: 'nhiapSealedSupplied', present: 'nhiapSealedPresent', removed: 'nhiapSealedRemoved' };

function sealedText(word) {
  return `•••• (${t(SEALED_WORDS[word] ?? 'nhiapSealedPresent')})`;
}

// Text outside printable ASCII (look-alike letters, bidi controls, zero-width characters) shown as \u escapes,
// so that a name that only looks like another is seen to differ; the page then says that it does.
function plain(text) {
  const s = String(text);
  if (!/[^\x20-\x7e]/.test(s)) return s;
  document.getElementById('unusual-chars').hidden = false;
  return s.replace(/[^\x20-\x7e]/gu, (c) => `\\u{${c.codePointAt(0).toString(16).toUpperCase()}}`);
}

function plainCell(td, text) {
  td.textContent = plain(text);
  if (td.textContent !== String(text)) td.classList.add('unusual');
}

function cell(value, sealed, side) {
  const td = document.createElement('td');
  if (value === undefined) {
    td.textContent = '—';
  } else if (sealed && (value === null || isSealed(value))) {
    td.textContent = sealedText(isSealed(value) ? value.sealed : sealed);
    td.className = 'sealed';
    td.dataset.side = side;
  } else {
    plainCell(td, JSON.stringify(value));
  }
  return td;
}

function isSealed(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    && typeof value.sealed === 'string' && Object.keys(value).length === 1;
}

// A body or image with each credential as the words the diff uses.
function sealedAsWords(value) {
  if (value === null || typeof value !== 'object') return value;
  if (isSealed(value)) return sealedText(value.sealed);
  if (Array.isArray(value)) return value.map(sealedAsWords);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sealedAsWords(v)]));
}

function flatten(value, prefix, out) {
  if (value !== null && typeof value === 'object') {
    if (isSealed(value)) {
      out[prefix] = { $sealed: value.sealed };
      return out;
    }
    const entries = Object.entries(value);
    if (entries.length === 0 && prefix) {
      out[prefix] = value; // an empty list or map is a value: an empty list removes a component's config key
      return out;
    }
    for (const [k, v] of entries) {
      flatten(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else {
    out[prefix] = value;
  }
  return out;
}

function renderDiff(cr) {
  const rows = [];
  if (cr.proposedAfter !== undefined && cr.proposedAfter !== null && Array.isArray(cr.diff)) {
    for (const d of cr.diff) {
      const field = (d.target ? `${d.target}: ` : '') + (d.source === 'request' ? `${t('nhiapDiffFromRequest')} ` : '') + d.path;
      if (d.sealed) {
        // A credential: the before side is the one the target holds (if any), the after side what the diff says.
        rows.push({ field, from: d.op === 'add' || d.source === 'request' ? undefined : (d.from ?? null),
          to: d.op === 'remove' ? undefined : (d.to ?? null), sealed: d.sealed });
      } else {
        rows.push({ field, from: d.from, to: d.to });
      }
    }
  } else {
    // No after-image: the body's fields against the before-image, sealed values as the server marked them.
    // The before-image holds the target's representation under its kind (client, component …), as the body is.
    const subject = subjectOf(cr.beforeImage ?? {});
    const before = flatten(subject, '', {});
    const after = flatten(cr.body ?? {}, '', {});
    for (const field of Object.keys(after).sort()) {
      const a = after[field];
      const b = before[field] !== undefined ? before[field] : valueAt(subject, field);
      if (a && a.$sealed) {
        rows.push({ field, from: b === undefined ? undefined : null, to: null, sealed: a.$sealed });
      } else if (JSON.stringify(b) !== JSON.stringify(a)) {
        rows.push({ field, from: b, to: a });
      }
    }
  }
  const diff = $('diff');
  diff.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    plainCell(th, row.field);
    tr.append(th, cell(row.from, row.sealed ? 'present' : null, 'before'), cell(row.to, row.sealed ?? null, 'after'));
    diff.append(tr);
  }
  $('diff-empty').hidden = rows.length > 0;
  $('diff-source').textContent = cr.afterImage?.source ? t('nhiapDiffSource', cr.afterImage.source) : '';
  renderGrants(cr);
}

// Facts the page words itself (times in the browser's locale may hold a narrow no-break space).
const LOCAL_FACTS = ['nhiapFactCredentialHolders', 'nhiapFactCreated', 'nhiapFactExpires', 'nhiapFactApprovals', 'nhiapFactCooldownEnds',
  'nhiapFactApplied', 'nhiapFactReachesGuarded', 'nhiapFactView'];

// A role grant: every role each granted role brings through its composites, as pinned when the request was held
// (the grant's diff names the granted roles only).
function renderGrants(cr) {
  const closure = cr.beforeImage?.grantedRoleClosure ?? {};
  const grants = $('grants');
  grants.replaceChildren();
  for (const role of Object.keys(closure).sort()) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    plainCell(th, role);
    const td = document.createElement('td');
    plainCell(td, (closure[role] ?? []).join(', '));
    tr.append(th, td);
    grants.append(tr);
  }
  $('grants-section').hidden = grants.children.length === 0;
}

// Kinds under which a before-image holds its target's representation, beside facts about it.
const IMAGE_KINDS = ['client', 'user', 'group', 'component', 'clientScope', 'identityProvider', 'role'];

function subjectOf(image) {
  if (!image || typeof image !== 'object') return image;
  for (const k of IMAGE_KINDS) {
    if (image[k] && typeof image[k] === 'object' && !Array.isArray(image[k])) return image[k];
  }
  return image;
}

// The value at a dotted field of flatten's, where flatten gave none (a list or map the body empties).
function valueAt(value, field) {
  let v = value;
  for (const k of field.split('.')) {
    if (v === null || typeof v !== 'object' || !(k in v)) return undefined;
    v = v[k];
  }
  return v;
}

// Every effect of a request, the operation (the strictest) first: a realm update that also changes the guard policy
// says so in the title, the list and the history.
function operationLabel(cr) {
  const others = (cr.effects ?? []).filter((e) => e !== cr.operation);
  return [cr.operation, ...others].join(' + ');
}

// The name of what a request changes, from its before-image (a role, a group, a client, a user, a provider).
function targetName(image) {
  image = subjectOf(image);
  if (!image || typeof image !== 'object') return null;
  for (const k of ['name', 'clientId', 'username', 'alias']) {
    if (typeof image[k] === 'string') return image[k];
  }
  return null;
}

function approverProblem() {
  if (!policy) return null;
  const approverRealm = policy.approverRealm || realm;
  if (approverRealm !== loginRealm) {
    return t('nhiapApproverRealm', realm, approverRealm, policy.approverRole, loginRealm);
  }
  return null;
}

// Who holds the target's credential (read or set it), and whether the requester does: whoever holds a service account's
// credential can act as it once it is turned on or granted more. Names as code points where unusual (plain), the page's
// own words as they are.
function holdersText(ch) {
  if (!ch) return null;
  const names = (ch.holders ?? []).map((h) => {
    if (h.username) return h.serviceAccountOf ? t('nhiapHolderServiceAccount', plain(h.username), plain(h.serviceAccountOf)) : plain(h.username);
    if (h.serviceAccountOf) return t('nhiapHolderServiceAccount', plain(h.userId), plain(h.serviceAccountOf));
    if (h.heldBy) return t('nhiapHolderAccessToken', h.heldBy.map(plain).join(', ') || '-');
    return plain(h.userId);
  });
  let text = names.length ? names.join(', ') + (ch.more ? ', ...' : '') : t('nhiapHoldersNone');
  if (ch.requesterHolds) text += '; ' + t('nhiapRequesterHolds');
  return text;
}

async function showDetail(id) {
  const r = await guard('GET', `change-requests/${encodeURIComponent(id)}`);
  if (r.status === 401) {
    return signIn();
  }
  if (r.status !== 200) {
    show('detail');
    $('detail').dataset.id = '';
    $('detail-title').textContent = id;
    for (const b of document.querySelectorAll('#actions button')) b.hidden = true;
    say(t('nhiapReadFailed', id, errorText(r)), true);
    return;
  }
  if (!policy) {
    const p = await guard('GET', 'policy');
    policy = p.status === 200 ? p.json.effective ?? null : null;
  }
  const cr = r.json;
  show('detail');
  $('unusual-chars').hidden = true;
  $('detail').dataset.id = cr.id;
  $('detail').dataset.digest = cr.digest;
  $('detail').dataset.state = cr.state;
  $('detail-title').textContent = `${plain(operationLabel(cr))} — ${stateLabel(cr.state)}`;
  const facts = $('detail-facts');
  facts.replaceChildren();
  for (const [k, v] of [['nhiapFactId', cr.id], ['nhiapFactRequest', `${cr.method} ${cr.path}`], ['nhiapFactTarget', cr.target],
    ['nhiapFactView', cr.view === 'summary' ? t('nhiapSummaryOnly') : null],
    ['nhiapFactTargetName', targetName(cr.beforeImage)],
    ['nhiapFactReachesGuarded', typeof cr.beforeImage?.reachesGuardedSubjects === 'boolean'
      ? t(cr.beforeImage.reachesGuardedSubjects ? 'nhiapYes' : 'nhiapNo') : null],
    ['nhiapFactRequester', cr.requester?.username || cr.requester?.userId],
    ['nhiapFactCredentialHolders', holdersText(cr.credentialHolders)], ['nhiapFactCreated', time(cr.createdAt)],
    ['nhiapFactExpires', OPEN.includes(cr.state) || cr.state === 'CONTAINED' ? time(cr.expiresAt) : null],
    ['nhiapFactApprovals', `${cr.approvalsGiven} / ${cr.approvalsRequired}`],
    ['nhiapFactCooldownEnds', cr.state === 'COOLING_DOWN' ? time(cr.cooldownEndsAt) : null],
    ['nhiapFactApplied', time(cr.appliedAt)], ['nhiapFactResult', cr.resultStatus],
    ['nhiapFactRollbackOf', cr.rollbackOf], ['nhiapFactDigest', cr.digest], ['nhiapFactReason', cr.reason]]) {
    if (v === null || v === undefined || v === '') continue;
    const dt = document.createElement('dt');
    dt.textContent = t(k);
    const dd = document.createElement('dd');
    // Values from the request (names, paths, ids) as code points where unusual; the page's own (times, counts) as they are.
    if (LOCAL_FACTS.includes(k)) dd.textContent = v; else plainCell(dd, v);
    if (k === 'nhiapFactRollbackOf') {
      dd.replaceChildren();
      const a = document.createElement('a');
      a.href = pageHash({ id: v });
      a.textContent = v;
      dd.append(a);
    }
    dd.dataset.fact = k;
    facts.append(dt, dd);
  }
  renderDiff(cr);
  // line by line: the layout's line breaks stay, a value's bidi or zero-width characters show as code points
  $('raw').textContent = JSON.stringify({ method: cr.method, path: cr.path, body: sealedAsWords(cr.body) }, null, 2)
    .split('\n').map(plain).join('\n');

  const approvals = $('approvals');
  approvals.replaceChildren();
  for (const a of cr.approvals ?? []) {
    const li = document.createElement('li');
    li.textContent = t('nhiapApprovedBy', plain(a.username || a.userId), time(a.approvedAt));
    approvals.append(li);
  }
  const history = $('history');
  history.replaceChildren();
  for (const h of cr.history ?? []) {
    const tr = document.createElement('tr');
    for (const v of [time(h.at), h.step, h.from ? stateLabel(h.from) : '', h.to ? stateLabel(h.to) : '', h.detail == null ? '' : plain(h.detail)]) {
      const td = document.createElement('td');
      td.textContent = v ?? '';
      tr.append(td);
    }
    history.append(tr);
  }

  const me = claims().sub;
  const requester = me && me === cr.requester?.userId;
  const problem = approverProblem();
  const visible = {
    approve: cr.state === 'PENDING' && !requester && !problem,
    reject: cr.state === 'PENDING' && !problem,
    cancel: OPEN.includes(cr.state) && requester,
    apply: cr.state === 'APPROVED' || cr.state === 'COOLING_DOWN',
    rollback: cr.state === 'APPLIED',
    confirm: cr.state === 'CONTAINED' && !requester && !problem,
    revert: cr.state === 'CONTAINED' && !requester && !problem,
  };
  for (const [action, on] of Object.entries(visible)) $(action).hidden = !on;
  const whyNot = $('why-not');
  whyNot.textContent = (cr.state === 'PENDING' || cr.state === 'CONTAINED') && problem ? problem : '';
  whyNot.hidden = !whyNot.textContent;
  auditStatus(cr.id);
}

// The request's records in the realm's audit chain, and whether the chain verifies from the first of them to its head.
async function auditStatus(id) {
  const out = $('audit');
  out.textContent = '…';
  out.className = '';
  const target = `mutation-guard/change-requests/${id}`;
  const seqs = [];
  let after = 0;
  for (;;) {
    const r = await api('audit-chain', 'GET', `records?type=CHANGE_REQUEST&limit=1000&after=${after}&target=${encodeURIComponent(target)}`);
    if (r.status === 403) { out.textContent = t('nhiapAuditForbidden'); return; }
    if (r.status === 404) { out.textContent = t('nhiapAuditMissing'); return; }
    if (r.status !== 200) { out.textContent = errorText(r); out.className = 'error'; return; }
    for (const rec of r.json.records) seqs.push(rec.seq);
    if (r.json.next === null || r.json.next === undefined) break;
    after = r.json.next;
  }
  if ($('detail').dataset.id !== id) return;
  if (seqs.length === 0) {
    out.textContent = t('nhiapAuditNone');
    return;
  }
  const v = await api('audit-chain', 'GET', `verify?from=${seqs[0]}`);
  if ($('detail').dataset.id !== id) return;
  if (v.status !== 200) {
    out.textContent = errorText(v);
    out.className = 'error';
  } else if (v.json.ok) {
    out.textContent = t('nhiapAuditVerified', seqs.length, seqs.join(', '), v.json.from, v.json.headSeq);
    out.className = 'ok';
  } else {
    out.textContent = t('nhiapAuditBroken', v.json.brokenSeq, v.json.reason);
    out.className = 'error';
  }
  out.dataset.verified = String(v.status === 200 && v.json.ok === true);
}

// ------------------------------------------------------------------ actions

function ask(text, withReason) {
  const dialog = $('dialog');
  const opener = document.activeElement;
  $('dialog-text').textContent = text;
  $('dialog-reason-row').hidden = !withReason;
  $('dialog-reason').value = '';
  $('dialog-error').hidden = true;
  return new Promise((resolve) => {
    const form = $('dialog-form');
    const onSubmit = (e) => {
      if (e.submitter?.value === 'ok' && withReason && !$('dialog-reason').value.trim()) {
        e.preventDefault();
        $('dialog-error').textContent = t('nhiapReasonRequired');
        $('dialog-error').hidden = false;
        $('dialog-reason').focus();
      }
    };
    form.addEventListener('submit', onSubmit);
    dialog.addEventListener('close', () => {
      form.removeEventListener('submit', onSubmit);
      if (opener && opener.focus) opener.focus();
      resolve({ ok: dialog.returnValue === 'ok', reason: $('dialog-reason').value.trim() });
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal(); // modal: the page behind is inert, Escape closes, focus stays inside
    (withReason ? $('dialog-reason') : $('dialog-ok')).focus();
  });
}

async function onAction(action) {
  const d = $('detail').dataset;
  const id = d.id;
  const question = {
    approve: t('nhiapDialogApprove', id, d.digest), reject: t('nhiapDialogReject', id), cancel: t('nhiapDialogCancel', id),
    apply: t('nhiapDialogApply', id), rollback: t('nhiapDialogRollback', id), confirm: t('nhiapDialogConfirm', id),
    revert: t('nhiapDialogRevert', id),
  }[action];
  const answer = await ask(question, action === 'reject');
  if (!answer.ok) return;
  const body = action === 'approve' ? { digest: d.digest } : action === 'reject' ? { reason: answer.reason } : undefined;
  await act(id, action, body);
}

async function act(id, action, body) {
  const r = await guard('POST', `change-requests/${encodeURIComponent(id)}/${action}`, body);
  if (isStepUp(r) || r.status === 401) {
    // Sign in again (as a step-up challenge asks), then repeat this very action.
    store.setItem('nhi.retry', JSON.stringify({ id, action, body }));
    say(t('nhiapStepUp'));
    return signIn(isStepUp(r) ? r.json : null);
  }
  if (r.status >= 200 && r.status < 300) {
    if (action === 'rollback' && r.json?.id) {
      say(t('nhiapDone.rollback', id, r.json.id), false, { href: pageHash({ id: r.json.id }), text: t('nhiapOpenRollback') });
    } else {
      say(t(`nhiapDone.${action}`, id, stateLabel(r.json?.state ?? '')));
    }
  } else {
    say(t('nhiapFailed', $(action).textContent, id, errorText(r)), true);
  }
  await showDetail(id);
  $('detail-title').focus();
}

// ------------------------------------------------------------------ routing

async function route() {
  const h = hashParams();
  const wanted = h.get('realm');
  if (!wanted) {
    show('realm-form');
    $('realm-input').value = realm ?? '';
    $('login-input').value = loginRealm && loginRealm !== realm ? loginRealm : '';
    $('realm-input').focus();
    return;
  }
  const wantedLogin = h.get('login') || wanted;
  if (realm !== wanted) policy = null;
  realm = wanted;
  if (!token || loginRealm !== wantedLogin) {
    const session = JSON.parse(store.getItem('nhi.session') || 'null');
    loginRealm = wantedLogin;
    if (session && session.login === wantedLogin) {
      ({ token, refreshToken } = session);
      idToken = session.idToken ?? null;
    } else {
      token = null;
      return signIn();
    }
  }
  const c = claims();
  $('who').textContent = t('nhiapWho', c.preferred_username ?? c.sub ?? '', loginRealm, realm);
  $('switch').hidden = false;
  $('sign-out').hidden = false;
  const id = h.get('id') || h.get('cr');
  if (id) {
    await showDetail(id);
  } else {
    await showList(h.has('state') ? h.get('state') : 'PENDING');
  }
}

async function start() {
  const query = new URLSearchParams(location.search);
  const firstRealm = hashParams().get('login') || hashParams().get('realm')
    || JSON.parse(store.getItem('nhi.pkce') || 'null')?.login || 'master';
  await loadTexts(firstRealm);
  try {
    if (query.has('code') || query.has('error')) {
      await finishSignIn(query);
    }
    const retry = JSON.parse(store.getItem('nhi.retry') || 'null');
    store.removeItem('nhi.retry');
    await route();
    if (retry && token && $('detail').dataset.id === retry.id) {
      await act(retry.id, retry.action, retry.body);
    }
  } catch (e) {
    say(e.message, true);
    show('realm-form');
  }
  window.addEventListener('hashchange', () => { say(''); route().catch((e) => say(e.message, true)); });
}

$('choose-realm').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const r = form.get('realm').trim();
  const l = form.get('login').trim();
  const p = new URLSearchParams({ realm: r });
  if (l && l !== r) p.set('login', l);
  location.hash = `#${p}`;
});
$('refresh').addEventListener('click', () => route());
$('state-filter').addEventListener('change', () => { location.hash = pageHash({ state: $('state-filter').value }); });
$('back').addEventListener('click', () => { location.hash = pageHash({}); });
$('switch').addEventListener('click', () => { location.hash = ''; });
$('sign-out').addEventListener('click', () => {
  store.removeItem('nhi.session');
  const params = new URLSearchParams({ client_id: CLIENT_ID, post_logout_redirect_uri: pageUrl });
  location.assign(`${oidc('logout')}?${params}`);
});
for (const b of document.querySelectorAll('#actions button')) {
  b.addEventListener('click', () => onAction(b.dataset.action));
}

start();
