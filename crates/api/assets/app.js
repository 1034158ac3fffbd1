// influx-authz: the API Tokens page.
//
// Plain JavaScript, no framework and no build step. It talks only to the public /api/v2 API, signed in with the
// HttpOnly session cookie that POST /api/v2/signin sets; it never sees that cookie, and it never shows a token
// except the one answer that creates it. Every piece of server data reaches the page through textContent.
'use strict';

(() => {
  // ---------------------------------------------------------------- state

  const state = {
    me: null, // {id, name}
    orgs: [], // [{id, name}]
    resourceTypes: null, // from /api/v2/resources
    tokens: [], // authorizations, newest first
    loading: false,
    pending: null, // the token a dialog acts on
    createKind: null, // 'all' | 'buckets' | 'custom'
    opener: null, // element to refocus when a dialog closes
  };

  // Used when /api/v2/resources cannot be read; InfluxDB 2.7's list, in its order.
  const FALLBACK_TYPES = [
    'authorizations', 'buckets', 'dashboards', 'orgs', 'sources', 'tasks', 'telegrafs', 'users', 'variables',
    'scrapers', 'secrets', 'labels', 'views', 'documents', 'notificationRules', 'notificationEndpoints', 'checks',
    'dbrp', 'notebooks', 'annotations', 'remotes', 'replications', 'instance',
  ];

  const TYPE_LABELS = {
    authorizations: 'Tokens', buckets: 'Buckets', dashboards: 'Dashboards', orgs: 'Organizations',
    sources: 'Sources', tasks: 'Tasks', telegrafs: 'Telegraf configs', users: 'Users', variables: 'Variables',
    scrapers: 'Scrapers', secrets: 'Secrets', labels: 'Labels', views: 'Views', documents: 'Documents',
    notificationRules: 'Notification rules', notificationEndpoints: 'Notification endpoints', checks: 'Checks',
    dbrp: 'DBRP mappings', notebooks: 'Notebooks', annotations: 'Annotations', remotes: 'Remotes',
    replications: 'Replications', instance: 'Instance',
  };

  // ---------------------------------------------------------------- DOM helpers

  const $ = (id) => document.getElementById(id);

  /** Builds an element: h('td', {class: 'x'}, 'text', childNode). Attributes starting with "on" are listeners. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else if (key === 'class') el.className = value;
      else if (value === true) el.setAttribute(key, '');
      else el.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function show(el, visible) {
    el.hidden = !visible;
  }

  function setMessage(el, text) {
    el.textContent = text || '';
    el.hidden = !text;
  }

  function typeLabel(type) {
    return TYPE_LABELS[type] || type;
  }

  // ---------------------------------------------------------------- the API

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status; // 0: the server could not be reached
      this.code = code;
    }
  }

  /** A signed-in call failed because the session is gone: everything stops and the sign-in form comes back. */
  class SessionExpired extends Error {}

  async function request(method, path, {body, headers = {}, auth = true} = {}) {
    const init = {method, headers: {Accept: 'application/json', ...headers}, credentials: 'same-origin'};
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, 'unavailable', 'Cannot reach the server. Check that it is running, then try again.');
    }
    if (response.status === 401 && auth) {
      sessionEnded('Your session has expired or was signed out. Please sign in again.');
      throw new SessionExpired('session expired');
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const message = data && typeof data.message === 'string' && data.message
        ? data.message
        : `${response.status} ${response.statusText}`.trim();
      throw new ApiError(response.status, data && data.code, message);
    }
    return data;
  }

  /** A sentence for an error shown on the page. */
  function describe(error) {
    if (error instanceof ApiError) {
      if (error.status === 0) return error.message;
      if (error.status >= 500) return `The server could not do that (${error.status}): ${error.message}`;
      if (error.status === 403) return `Not allowed: ${error.message}`;
      return error.message.charAt(0).toUpperCase() + error.message.slice(1);
    }
    return `Something went wrong: ${error && error.message ? error.message : error}`;
  }

  /** Runs an action; a SessionExpired has already been handled, anything else is shown in `target`. */
  async function guarded(target, action) {
    setMessage(target, '');
    try {
      return await action();
    } catch (error) {
      if (error instanceof SessionExpired) return undefined;
      setMessage(target, describe(error));
      return undefined;
    }
  }

  // ---------------------------------------------------------------- views

  function showView(name) {
    show($('boot'), false);
    show($('signin-view'), name === 'signin');
    show($('tokens-view'), name === 'tokens');
    show($('account'), name === 'tokens');
  }

  function showSignIn({notice = '', error = ''} = {}) {
    for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
    state.me = null;
    state.tokens = [];
    clearTimeout(expiryTimer);
    $('token-rows').replaceChildren();
    showView('signin');
    setMessage($('signin-notice'), notice);
    setMessage($('signin-error'), error);
    $('signin-password').value = '';
    $('signin-submit').disabled = false;
    const username = $('signin-username');
    (username.value ? $('signin-password') : username).focus();
  }

  /** A 401 on a signed-in call. Before the first successful sign-in (no state.me), it is simply "not signed in". */
  function sessionEnded(message) {
    if (!$('signin-view').hidden) return;
    showSignIn({notice: state.me ? message : ''});
  }

  async function enter() {
    // Who am I, which orgs, which resource types; then the list.
    const me = await request('GET', '/api/v2/me');
    state.me = {id: me.id, name: me.name};
    $('account-name').textContent = me.name;
    showView('tokens');
    const [orgs, types] = await Promise.all([
      request('GET', '/api/v2/orgs?limit=100').catch((e) => {
        if (e instanceof SessionExpired) throw e;
        return {orgs: []};
      }),
      request('GET', '/api/v2/resources').catch((e) => {
        if (e instanceof SessionExpired) throw e;
        return null;
      }),
    ]);
    state.orgs = (orgs && orgs.orgs ? orgs.orgs : []).map((o) => ({id: o.id, name: o.name}));
    state.resourceTypes = Array.isArray(types) && types.length ? types : FALLBACK_TYPES;
    const noOrg = state.orgs.length === 0;
    for (const id of ['create-all', 'create-buckets', 'create-custom']) {
      $(id).disabled = noOrg;
      $(id).title = noOrg ? 'You are not a member of any organization' : '';
    }
    await loadTokens();
  }

  // ---------------------------------------------------------------- sign in / out

  function basic(username, password) {
    const bytes = new TextEncoder().encode(`${username}:${password}`);
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    return `Basic ${btoa(binary)}`;
  }

  async function signIn(event) {
    event.preventDefault();
    const username = $('signin-username').value.trim();
    const password = $('signin-password').value;
    setMessage($('signin-notice'), '');
    if (!username || !password) {
      setMessage($('signin-error'), 'Enter your username and password.');
      (username ? $('signin-password') : $('signin-username')).focus();
      return;
    }
    const submit = $('signin-submit');
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      await request('POST', '/api/v2/signin', {headers: {Authorization: basic(username, password)}, auth: false});
      setMessage($('signin-error'), '');
      $('signin-password').value = '';
      await enter();
      $('filter').focus();
    } catch (error) {
      if (error instanceof SessionExpired) return;
      const message = error instanceof ApiError && (error.status === 401 || error.status === 403)
        ? 'Wrong username or password. Check both and try again.'
        : describe(error);
      setMessage($('signin-error'), message);
      $('signin-password').select();
      $('signin-password').focus();
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  }

  async function signOut() {
    try {
      await request('POST', '/api/v2/signout', {auth: false});
    } catch {
      // The cookie is HttpOnly; if the server is gone, there is nothing more the page can do.
    }
    showSignIn({notice: 'You have signed out.'});
  }

  // ---------------------------------------------------------------- the token list

  async function loadTokens({quiet = false} = {}) {
    if (state.loading) return;
    state.loading = true;
    const wrap = $('table-wrap');
    wrap.setAttribute('aria-busy', 'true');
    $('refresh').disabled = true;
    setMessage($('tokens-error'), '');
    if (!quiet || state.tokens.length === 0) {
      show($('tokens-loading'), true);
      show($('tokens-empty'), false);
    }
    try {
      const data = await request('GET', '/api/v2/authorizations');
      state.tokens = (data && data.authorizations ? data.authorizations : [])
        .slice()
        .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
    } catch (error) {
      if (!(error instanceof SessionExpired)) setMessage($('tokens-error'), describe(error));
    } finally {
      state.loading = false;
      wrap.setAttribute('aria-busy', 'false');
      $('refresh').disabled = false;
      show($('tokens-loading'), false);
    }
    render();
  }

  // ---------------------------------------------------------------- expiry and last use (extensions)

  /** A time from the API as milliseconds, or NaN when absent or unreadable. */
  function timeOf(value) {
    return value ? Date.parse(value) : NaN;
  }

  /** Its expiresAt has passed (the server keeps status active/inactive; "expired" is derived, as here). */
  function isExpired(token, now = Date.now()) {
    const at = timeOf(token.expiresAt);
    return !Number.isNaN(at) && at <= now;
  }

  /** What the page shows and filters on: 'expired' wins over the stored status. */
  function shownStatus(token, now = Date.now()) {
    if (isExpired(token, now)) return 'expired';
    return token.status === 'active' ? 'active' : 'inactive';
  }

  const dayFormat = new Intl.DateTimeFormat(undefined, {dateStyle: 'medium'});
  const relativeFormat = new Intl.RelativeTimeFormat(undefined, {numeric: 'auto'});

  const timeFormat = new Intl.DateTimeFormat(undefined, {timeStyle: 'short'});

  function dayText(value) {
    const at = timeOf(value);
    return Number.isNaN(at) ? String(value || '') : dayFormat.format(new Date(at));
  }

  function timeText(value) {
    const at = timeOf(value);
    return Number.isNaN(at) ? '' : timeFormat.format(new Date(at));
  }

  function expiresText(token) {
    const at = timeOf(token.expiresAt);
    return Number.isNaN(at) ? 'never' : dayFormat.format(new Date(at));
  }

  /** "just now", "5 minutes ago", "yesterday", "3 months ago"; or "never". */
  function relativeText(value, now = Date.now()) {
    const at = timeOf(value);
    if (Number.isNaN(at)) return 'never';
    const seconds = Math.round((at - now) / 1000);
    if (Math.abs(seconds) < 45) return 'just now';
    const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.345, 'week'], [12, 'month']];
    let amount = seconds;
    for (const [size, unit] of steps) {
      if (Math.abs(amount) < size) return relativeFormat.format(Math.round(amount), unit);
      amount /= size;
    }
    return relativeFormat.format(Math.round(amount), 'year');
  }

  /** Re-renders when the next listed token expires, so its badge changes without a refresh. */
  let expiryTimer = 0;
  function watchExpiry(now) {
    clearTimeout(expiryTimer);
    const next = Math.min(...state.tokens.map((t) => timeOf(t.expiresAt)).filter((at) => at > now));
    if (Number.isFinite(next)) {
      // setTimeout takes at most ~24.8 days; a later expiry gets there in steps.
      expiryTimer = setTimeout(render, Math.min(next - now + 50, 2 ** 31 - 1));
    }
  }

  function matches(token, words, now) {
    if (!words.length) return true;
    const haystack = [
      token.description, shownStatus(token, now), token.user, token.userID, token.org, token.id,
      summarize(token).text, createdText(token.createdAt),
    ].join(' ').toLowerCase();
    return words.every((w) => haystack.includes(w));
  }

  function render() {
    const now = Date.now();
    const query = $('filter').value.trim().toLowerCase();
    const words = query.split(/\s+/).filter(Boolean);
    const status = $('status-filter').value;
    const visible = state.tokens.filter((t) => (!status || shownStatus(t, now) === status) && matches(t, words, now));
    const total = state.tokens.length;
    const failed = !$('tokens-error').hidden && total === 0;
    const filtered = words.length > 0 || Boolean(status);

    $('token-count').textContent = failed ? '' : filtered
      ? `${visible.length} of ${total} token${total === 1 ? '' : 's'}`
      : `${total} token${total === 1 ? '' : 's'}`;

    $('token-rows').replaceChildren(...visible.map((t) => row(t, now)));
    watchExpiry(now);
    show($('token-table'), visible.length > 0);
    const empty = visible.length === 0 && !failed;
    show($('tokens-empty'), empty);
    if (empty) {
      if (total === 0) {
        $('tokens-empty-title').textContent = 'No API tokens yet';
        $('tokens-empty-text').textContent = 'Generate one with the buttons above.';
      } else if (!words.length) {
        $('tokens-empty-title').textContent = `No ${status} tokens`;
        $('tokens-empty-text').textContent = 'Choose another status, or All.';
      } else {
        const which = status ? ` ${status} tokens` : ' tokens';
        $('tokens-empty-title').textContent = `No${which} match “${$('filter').value.trim()}”`;
        $('tokens-empty-text').textContent = status
          ? 'Try another word or status, or clear the filter.'
          : 'Try another word, or clear the filter.';
      }
    }
  }

  const dateFormat = new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'short'});

  function createdText(value) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? String(value || '') : dateFormat.format(date);
  }

  const BADGES = {
    active: ['badge-active', 'Active'],
    inactive: ['badge-inactive', 'Inactive'],
    expired: ['badge-expired', 'Expired'],
  };

  function row(token, now = Date.now()) {
    const description = token.description || '';
    const name = description || 'Untitled token';
    const active = token.status === 'active';
    const shown = shownStatus(token, now);
    const [badgeClass, badgeText] = BADGES[shown];
    const summary = summarize(token);
    const expiresTitle = token.expiresAt
      ? `${shown === 'expired' ? 'Expired' : 'Expires'} ${createdText(token.expiresAt)}`
      : 'This token never expires';
    const usedTitle = token.lastUsedAt ? `Last used ${createdText(token.lastUsedAt)}` : 'Never used';

    const details = h('details', {class: 'perm-details'},
      h('summary', {}, `${token.permissions.length} permission${token.permissions.length === 1 ? '' : 's'}`),
      h('ul', {class: 'perm-list'}, summary.lines.map((line) => h('li', {}, line))));

    return h('tr', {'data-id': token.id, class: shown === 'active' ? '' : 'is-inactive'},
      h('td', {class: 'cell-desc', 'data-label': 'Description'},
        h('span', {class: description ? 'desc' : 'desc desc-empty'}, name),
        h('span', {class: 'sub mono', title: 'Token ID'}, token.id)),
      h('td', {'data-label': 'Status'}, h('div', {},
        h('span', {class: `badge ${badgeClass}`,
          title: shown === 'expired' && !active ? 'Expired (and inactive)' : null}, badgeText))),
      h('td', {'data-label': 'Owner'}, h('div', {},
        h('span', {class: 'owner'}, token.user || token.userID || '—'),
        token.org ? h('span', {class: 'sub', title: 'Organization'}, token.org) : null)),
      h('td', {'data-label': 'Created'}, h('div', {},
        h('time', {datetime: token.createdAt, title: createdText(token.createdAt)}, dayText(token.createdAt)),
        h('span', {class: 'sub'}, timeText(token.createdAt)))),
      h('td', {class: 'cell-expires', 'data-label': 'Expires'}, h('div', {},
        token.expiresAt
          ? h('time', {datetime: token.expiresAt, title: expiresTitle,
            class: shown === 'expired' ? 'is-expired' : null}, expiresText(token))
          : h('span', {class: 'never', title: expiresTitle}, 'never'))),
      h('td', {class: 'cell-used', 'data-label': 'Last used'}, h('div', {},
        token.lastUsedAt
          ? h('time', {datetime: token.lastUsedAt, title: usedTitle}, relativeText(token.lastUsedAt, now))
          : h('span', {class: 'never', title: usedTitle}, 'never'))),
      h('td', {class: 'cell-perms', 'data-label': 'Permissions'}, h('div', {},
        h('span', {class: 'perm-summary'}, summary.text), details)),
      h('td', {class: 'cell-actions'},
        h('div', {class: 'row-actions'},
          h('button', {type: 'button', class: 'btn btn-small', 'aria-label': `Edit description of ${name}`,
            onclick: (e) => openEdit(token, e.currentTarget)}, 'Edit'),
          h('button', {type: 'button', class: 'btn btn-small', 'aria-label': `${active ? 'Deactivate' : 'Activate'} ${name}`,
            onclick: (e) => toggleStatus(token, e.currentTarget)}, active ? 'Deactivate' : 'Activate'),
          h('button', {type: 'button', class: 'btn btn-small btn-danger-quiet', 'aria-label': `Delete ${name}`,
            onclick: (e) => openDelete(token, e.currentTarget)}, 'Delete'))));
  }

  // ---------------------------------------------------------------- permission summaries

  function actionWords(set) {
    if (set.has('read') && set.has('write')) return 'Read & write';
    return set.has('write') ? 'Write' : 'Read';
  }

  /**
   * A short sentence for a token's permissions (`text`) and one line per resource (`lines`). It recognises
   * the operator pattern (read+write on every type, everywhere) and the all-access pattern of `influx auth create
   * --all-access` (read+write on every type in one org, read on that org, read+write on the owner).
   */
  function summarize(token) {
    if (token.__summary) return token.__summary;
    const perms = Array.isArray(token.permissions) ? token.permissions : [];
    // Group by resource: "buckets|id|orgID" → {resource, actions}.
    const groups = new Map();
    for (const p of perms) {
      const r = p.resource || {};
      const key = `${r.type}|${r.id || ''}|${r.orgID || ''}`;
      if (!groups.has(key)) groups.set(key, {resource: r, actions: new Set()});
      groups.get(key).actions.add(p.action);
    }
    const types = (state.resourceTypes || FALLBACK_TYPES).filter((t) => t !== 'instance');
    const both = (g) => g.actions.has('read') && g.actions.has('write');
    const globalBoth = new Set();
    const orgBoth = new Map(); // orgID → Set of types with read+write org-wide
    let hasInstance = false;
    for (const g of groups.values()) {
      const r = g.resource;
      if (r.type === 'instance') hasInstance = true;
      if (!r.id && !r.orgID && both(g)) globalBoth.add(r.type);
      if (!r.id && r.orgID && both(g)) {
        if (!orgBoth.has(r.orgID)) orgBoth.set(r.orgID, {name: r.org, types: new Set()});
        orgBoth.get(r.orgID).types.add(r.type);
      }
    }

    const lines = [...groups.values()].map((g) => `${actionWords(g.actions)} ${scopeText(g.resource)}`);

    let text;
    if (hasInstance) {
      text = 'Instance administrator: everything';
    } else if (types.every((t) => globalBoth.has(t))) {
      text = 'Operator: full access, all organizations';
    } else {
      for (const [orgID, o] of orgBoth) {
        const rest = types.filter((t) => t !== 'orgs' && t !== 'users');
        const readsOrg = [...groups.values()].some((g) => g.resource.type === 'orgs' && g.resource.id === orgID
          && g.actions.has('read'));
        if (rest.every((t) => o.types.has(t)) && readsOrg) {
          text = `All access in ${o.name || orgID}`;
          break;
        }
      }
      if (!text) text = shortList(groups);
    }
    token.__summary = {text, lines};
    return token.__summary;
  }

  function scopeText(r) {
    const label = typeLabel(r.type).toLowerCase();
    if (r.id) {
      const single = label.endsWith('s') ? label.slice(0, -1) : label;
      return `${single} ${r.name || r.id}`;
    }
    if (r.orgID) return `all ${label} in ${r.org || r.orgID}`;
    return `all ${label} (every organization)`;
  }

  /** "Read & write: buckets my-bucket, other · Read: tokens" (at most a few items, then "and N more"). */
  function shortList(groups) {
    const byActions = new Map();
    for (const g of groups.values()) {
      const words = actionWords(g.actions);
      if (!byActions.has(words)) byActions.set(words, []);
      const r = g.resource;
      const label = typeLabel(r.type).toLowerCase();
      byActions.get(words).push(r.id ? `${label.replace(/s$/, '')} ${r.name || r.id}` : label);
    }
    const order = ['Read & write', 'Read', 'Write'];
    const parts = [];
    for (const words of order) {
      const items = byActions.get(words);
      if (!items) continue;
      const shown = items.slice(0, 3).join(', ');
      parts.push(`${words}: ${shown}${items.length > 3 ? ` and ${items.length - 3} more` : ''}`);
    }
    return parts.join(' · ') || 'No permissions';
  }

  // ---------------------------------------------------------------- dialogs

  function openDialog(dialog, opener) {
    state.opener = opener || document.activeElement;
    dialog.showModal();
  }

  function restoreFocus() {
    const opener = state.opener;
    state.opener = null;
    if (opener && document.contains(opener) && !opener.disabled) opener.focus();
    else if (!$('tokens-view').hidden) $('filter').focus();
  }

  function wireDialog(dialog, onClose) {
    for (const button of dialog.querySelectorAll('[data-close]')) {
      button.addEventListener('click', () => dialog.close());
    }
    dialog.addEventListener('close', () => {
      if (onClose) onClose();
      restoreFocus();
    });
  }

  // Delete
  function openDelete(token, opener) {
    state.pending = token;
    $('delete-name').textContent = token.description || `the token ${token.id}`;
    setMessage($('delete-error'), '');
    $('delete-confirm').disabled = false;
    openDialog($('delete-dialog'), opener);
  }

  async function confirmDelete() {
    const token = state.pending;
    if (!token) return;
    const button = $('delete-confirm');
    button.disabled = true;
    const done = await guarded($('delete-error'), async () => {
      await request('DELETE', `/api/v2/authorizations/${encodeURIComponent(token.id)}`);
      return true;
    });
    button.disabled = false;
    if (!done) return;
    state.opener = null;
    $('delete-dialog').close();
    state.tokens = state.tokens.filter((t) => t.id !== token.id);
    render();
    flash(`Deleted “${token.description || token.id}”.`);
    $('filter').focus();
  }

  // Edit description
  function openEdit(token, opener) {
    state.pending = token;
    $('edit-description').value = token.description || '';
    setMessage($('edit-error'), '');
    openDialog($('edit-dialog'), opener);
    $('edit-description').select();
  }

  async function saveEdit(event) {
    event.preventDefault();
    const token = state.pending;
    if (!token) return;
    const description = $('edit-description').value.trim();
    $('edit-save').disabled = true;
    const updated = await guarded($('edit-error'), () =>
      request('PATCH', `/api/v2/authorizations/${encodeURIComponent(token.id)}`, {body: {description}}));
    $('edit-save').disabled = false;
    if (!updated) return;
    replaceToken(updated);
    $('edit-dialog').close();
    flash('Description saved.');
  }

  // Activate / deactivate
  async function toggleStatus(token, button) {
    const status = token.status === 'active' ? 'inactive' : 'active';
    button.disabled = true;
    const updated = await guarded($('tokens-error'), () =>
      request('PATCH', `/api/v2/authorizations/${encodeURIComponent(token.id)}`, {body: {status}}));
    button.disabled = false;
    if (!updated) return;
    replaceToken(updated);
    flash(`${updated.description || updated.id} is now ${status}.`);
    const again = document.querySelector(`tr[data-id="${CSS.escape(updated.id)}"] .row-actions button:nth-child(2)`);
    if (again) again.focus();
  }

  function replaceToken(updated) {
    state.tokens = state.tokens.map((t) => (t.id === updated.id ? updated : t));
    render();
  }

  let flashTimer = 0;
  function flash(text) {
    setMessage($('tokens-notice'), text);
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => setMessage($('tokens-notice'), ''), 6000);
  }

  // ---------------------------------------------------------------- create

  const CREATE_TEXT = {
    all: {
      title: 'Generate an all-access API token',
      intro: 'Read and write access to every resource in the organization, like `influx auth create --all-access`.',
    },
    buckets: {
      title: 'Generate a read/write buckets token',
      intro: 'Pick the buckets this token may read from or write to.',
    },
    custom: {
      title: 'Generate a custom API token',
      intro: 'Choose read and write access per resource type in the organization.',
    },
  };

  function openCreate(kind, opener) {
    state.createKind = kind;
    $('create-title').textContent = CREATE_TEXT[kind].title;
    $('create-intro').textContent = CREATE_TEXT[kind].intro;
    $('create-description').value = '';
    $('create-expiry').value = '';
    $('create-expiry-date').value = '';
    updateExpiry();
    setMessage($('create-error'), '');
    $('create-submit').disabled = false;

    const select = $('create-org');
    const previous = select.value;
    select.replaceChildren(...state.orgs.map((o) => h('option', {value: o.id}, o.name)));
    if (state.orgs.some((o) => o.id === previous)) select.value = previous;
    show($('create-org-field'), state.orgs.length > 1);

    show($('bucket-picker'), kind === 'buckets');
    show($('custom-picker'), kind === 'custom');
    if (kind === 'custom') buildCustomRows();
    openDialog($('create-dialog'), opener);
    $('create-description').focus();
    if (kind === 'buckets') loadBuckets();
  }

  function checkbox(attrs, label) {
    return h('label', {class: 'check'}, h('input', {type: 'checkbox', ...attrs}),
      h('span', {class: 'visually-hidden'}, label));
  }

  let bucketLoad = 0;
  async function loadBuckets() {
    const orgID = $('create-org').value;
    const ticket = ++bucketLoad;
    const rows = $('bucket-rows');
    rows.replaceChildren();
    $('bucket-all-read').checked = false;
    $('bucket-all-write').checked = false;
    $('bucket-status').textContent = 'Loading buckets…';
    const buckets = [];
    const ok = await guarded($('create-error'), async () => {
      let path = `/api/v2/buckets?orgID=${encodeURIComponent(orgID)}&limit=100`;
      for (let page = 0; path && page < 50; page++) {
        const data = await request('GET', path);
        buckets.push(...(data && data.buckets ? data.buckets : []));
        const next = data && data.links && data.links.next;
        path = next && next.startsWith('/api/v2/') ? next : null;
      }
      return true;
    });
    if (ticket !== bucketLoad) return;
    if (!ok) {
      $('bucket-status').textContent = 'Buckets could not be loaded.';
      return;
    }
    buckets.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'system' ? 1 : -1));
    $('bucket-status').textContent = buckets.length
      ? 'Each bucket can be read, written, or both.'
      : 'This organization has no buckets.';
    rows.replaceChildren(...buckets.map((b) => h('tr', {},
      h('th', {scope: 'row'}, h('span', {}, b.name), b.type === 'system' ? [' ', h('span', {class: 'tag'}, 'system')] : null),
      h('td', {}, checkbox({'data-bucket': b.id, 'data-action': 'read'}, `Read ${b.name}`)),
      h('td', {}, checkbox({'data-bucket': b.id, 'data-action': 'write'}, `Write ${b.name}`)))));
  }

  function buildCustomRows() {
    const types = state.resourceTypes.filter((t) => t !== 'instance');
    $('custom-all-read').checked = false;
    $('custom-all-write').checked = false;
    $('custom-rows').replaceChildren(...types.map((t) => h('tr', {},
      h('th', {scope: 'row'}, typeLabel(t)),
      h('td', {}, checkbox({'data-type': t, 'data-action': 'read'}, `Read ${typeLabel(t)}`)),
      h('td', {}, checkbox({'data-type': t, 'data-action': 'write'}, `Write ${typeLabel(t)}`)))));
  }

  function toggleColumn(tbody, action, checked) {
    for (const box of tbody.querySelectorAll(`input[data-action="${action}"]`)) box.checked = checked;
  }

  /** The resource a type gets "in the org": orgs → the org itself, users → the caller, others → org-wide. */
  function orgResource(type, orgID) {
    if (type === 'orgs') return {type, id: orgID};
    if (type === 'users') return {type, id: state.me.id};
    return {type, orgID};
  }

  function buildPermissions(kind, orgID) {
    if (kind === 'all') {
      const perms = [];
      for (const type of state.resourceTypes) {
        if (type === 'instance') continue;
        if (type === 'orgs') {
          perms.push({action: 'read', resource: orgResource(type, orgID)});
        } else {
          perms.push({action: 'read', resource: orgResource(type, orgID)});
          perms.push({action: 'write', resource: orgResource(type, orgID)});
        }
      }
      return perms;
    }
    if (kind === 'buckets') {
      return [...$('bucket-rows').querySelectorAll('input:checked')].map((box) => ({
        action: box.dataset.action,
        resource: {type: 'buckets', id: box.dataset.bucket, orgID},
      }));
    }
    return [...$('custom-rows').querySelectorAll('input:checked')].map((box) => ({
      action: box.dataset.action,
      resource: orgResource(box.dataset.type, orgID),
    }));
  }

  /** A yyyy-mm-dd for a date input, in local time. */
  function dateInputValue(date) {
    const pad = (n) => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }

  /**
   * The expiry chosen in the create dialog: {at: Date} (or {at: null} for never), or {error}. Presets count days
   * from now; a custom date means the token works through that whole day, local time.
   */
  function chosenExpiry(now = new Date()) {
    const choice = $('create-expiry').value;
    if (!choice) return {at: null};
    if (choice !== 'custom') return {at: new Date(now.getTime() + Number(choice) * 86_400_000)};
    const text = $('create-expiry-date').value;
    const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!parts) return {error: 'Pick the date the token expires.'};
    const at = new Date(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3]) + 1);
    if (at <= now) return {error: 'Pick a date in the future.'};
    return {at};
  }

  function updateExpiry() {
    const custom = $('create-expiry').value === 'custom';
    const input = $('create-expiry-date');
    show(input, custom);
    const tomorrow = new Date();
    tomorrow.setDate(tomorrow.getDate() + 1);
    input.min = dateInputValue(new Date());
    if (custom && !input.value) input.value = dateInputValue(tomorrow);
    const chosen = chosenExpiry();
    $('create-expiry-hint').textContent = chosen.error
      ? chosen.error
      : chosen.at
        ? `The token stops working on ${createdText(chosen.at)}.`
        : 'The token works until it is deleted or deactivated.';
  }

  async function submitCreate(event) {
    event.preventDefault();
    const kind = state.createKind;
    const orgID = $('create-org').value;
    if (!orgID) {
      setMessage($('create-error'), 'Choose an organization.');
      return;
    }
    const permissions = buildPermissions(kind, orgID);
    if (permissions.length === 0) {
      setMessage($('create-error'), kind === 'buckets'
        ? 'Pick at least one bucket to read or write.'
        : 'Pick at least one permission.');
      return;
    }
    const expiry = chosenExpiry();
    if (expiry.error) {
      setMessage($('create-error'), expiry.error);
      $($('create-expiry').value === 'custom' ? 'create-expiry-date' : 'create-expiry').focus();
      return;
    }
    const description = $('create-description').value.trim();
    const body = {orgID, description, permissions};
    if (expiry.at) body.expiresAt = expiry.at.toISOString();
    const submit = $('create-submit');
    submit.disabled = true;
    submit.textContent = 'Generating…';
    const created = await guarded($('create-error'), () =>
      request('POST', '/api/v2/authorizations', {body}));
    submit.disabled = false;
    submit.textContent = 'Generate token';
    if (!created) return;
    const opener = state.opener;
    $('create-dialog').close();
    showNewToken(created.token, opener);
    const copy = {...created, token: ''};
    state.tokens = [copy, ...state.tokens.filter((t) => t.id !== copy.id)];
    render();
  }

  function showNewToken(token, opener) {
    $('token-value').value = token || '';
    $('token-copied').textContent = '';
    openDialog($('token-dialog'), opener);
    $('token-value').focus();
    $('token-value').select();
  }

  async function copyToken() {
    const input = $('token-value');
    let copied = false;
    try {
      await navigator.clipboard.writeText(input.value);
      copied = true;
    } catch {
      input.focus();
      input.select();
      try {
        copied = document.execCommand('copy');
      } catch {
        copied = false;
      }
    }
    $('token-copied').textContent = copied
      ? 'Copied to the clipboard.'
      : 'Could not copy automatically: the token is selected, press Ctrl+C (⌘C) to copy it.';
  }

  // ---------------------------------------------------------------- start

  function wire() {
    $('signin-form').addEventListener('submit', signIn);
    $('signout').addEventListener('click', signOut);
    $('refresh').addEventListener('click', () => loadTokens({quiet: true}));
    $('filter').addEventListener('input', render);
    $('status-filter').addEventListener('change', render);
    $('create-expiry').addEventListener('change', updateExpiry);
    $('create-expiry-date').addEventListener('input', updateExpiry);
    $('filter').addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && $('filter').value) {
        $('filter').value = '';
        render();
      }
    });

    $('create-all').addEventListener('click', (e) => openCreate('all', e.currentTarget));
    $('create-buckets').addEventListener('click', (e) => openCreate('buckets', e.currentTarget));
    $('create-custom').addEventListener('click', (e) => openCreate('custom', e.currentTarget));
    $('create-form').addEventListener('submit', submitCreate);
    $('create-org').addEventListener('change', () => {
      if (state.createKind === 'buckets') loadBuckets();
    });
    $('bucket-all-read').addEventListener('change', (e) => toggleColumn($('bucket-rows'), 'read', e.target.checked));
    $('bucket-all-write').addEventListener('change', (e) => toggleColumn($('bucket-rows'), 'write', e.target.checked));
    $('custom-all-read').addEventListener('change', (e) => toggleColumn($('custom-rows'), 'read', e.target.checked));
    $('custom-all-write').addEventListener('change', (e) => toggleColumn($('custom-rows'), 'write', e.target.checked));

    $('delete-confirm').addEventListener('click', confirmDelete);
    $('edit-form').addEventListener('submit', saveEdit);
    $('token-copy').addEventListener('click', copyToken);

    wireDialog($('delete-dialog'), () => { state.pending = null; });
    wireDialog($('edit-dialog'), () => { state.pending = null; });
    wireDialog($('create-dialog'), () => { bucketLoad++; });
    // The token is shown once: it leaves the page when its dialog closes.
    wireDialog($('token-dialog'), () => {
      $('token-value').value = '';
      $('token-copied').textContent = '';
    });
  }

  async function start() {
    wire();
    try {
      await enter();
    } catch (error) {
      if (error instanceof SessionExpired) return; // already on the sign-in form
      if (error instanceof ApiError && error.status === 0) {
        showSignIn({error: error.message});
      } else if ($('tokens-view').hidden) {
        showSignIn({error: describe(error)});
      } else {
        setMessage($('tokens-error'), describe(error));
      }
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
