// The auditor's app: start-up, who is signed in, the status line, and the
// router (#/ home, #/audit/UUID one visit, #/done/UUID its scorecard,
// #/conflict/UUID the phone's answers beside the server's after a 412;
// #/password/TOKEN an invitation's or reset's link, signed in or not).
//
// Modules, one concern each (no build step, no framework):
//   api.js         fetch wrapper: CSRF header, NetworkError vs ApiError
//   session.js     the last session (to open offline), per-user key, iOS check
//   store.js       IndexedDB per auditor: audits, photos, outbox, meta
//   outbox.js      replays queued audits in order, with backoff (backoff.js)
//   merge.js       the phone's answers against the server's: differences, words, merge
//   reference.js   locations and checklists, kept for offline use
//   conditions.js  show_if and completeness (mirrors the server's rules)
//   form.js        a checklist as an accessible form
//   photos.js      resizing on the phone
//   views/*.js     sign-in, forgot password and a link's set-password page, home,
//                  one visit, scorecard, conflict
//   /sw.js         the service worker (served by audit/pwa.py)

import { api, ApiError, NetworkError, setCsrfToken } from './api.js';
import { h } from './dom.js';
import { Outbox } from './outbox.js';
import { forgetSession, savedSession, saveSession, userKey } from './session.js';
import { OwnerCache } from './owner-cache.js';
import { openStore } from './store.js';
import { renderAudit } from './views/audit.js';
import { renderConflict } from './views/conflict.js';
import { renderHome } from './views/home.js';
import { renderJobs } from './views/jobs.js';
import { renderOwner, renderStaffNotice } from './views/owner.js';
import { renderScorecard } from './views/scorecard.js';
import { renderForgot, renderSetPassword } from './views/password.js';
import { renderSignIn } from './views/signin.js';

// Must match API_CACHE in sw.js: dropped on sign-out.
const API_CACHE = 'audit-api';

const main = document.getElementById('main');
const statusLine = document.getElementById('status');
const sendNow = document.getElementById('send-now');
const signOutButton = document.getElementById('sign-out');

const app = {
  session: null,
  store: null,
  outbox: null,
  view: null,
  justSent: null,
};

function plural(n) {
  return n === 1 ? '1 visit' : `${n} visits`;
}

async function refreshStatus() {
  const online = navigator.onLine;
  if (!app.store) {
    statusLine.textContent = online ? '' : 'Offline';
    sendNow.hidden = true;
    return;
  }
  const { store, outbox } = app;
  const [entries, audits] = await Promise.all([store.outbox(), store.listAudits()]);
  if (store !== app.store) return; // signed out meanwhile
  // An entry in conflict waits for the auditor, not for the network.
  const waiting = entries.filter((e) => !e.conflict).length;
  const problems = audits.filter((r) => r.conflict || (r.problem && r.state !== 'queued')).length;
  let text;
  let state;
  if (outbox.blocked && waiting) {
    [text, state] = [`Sign in again to send ${plural(waiting)}`, 'problem'];
  } else if (outbox.current && waiting) {
    [text, state] = [`Sending ${plural(waiting)}…`, 'sending'];
  } else if (waiting) {
    [text, state] = [`${online ? '' : 'Offline · '}${plural(waiting)} to send`, 'waiting'];
  } else if (online) {
    // Work in conflict is not "nothing to send": it waits for the auditor (counted below).
    [text, state] = [entries.length ? 'Online' : 'Online · nothing to send', 'ok'];
  } else {
    [text, state] = ['Offline · your work is kept on this phone', 'offline'];
  }
  if (problems) {
    text += ` · ${problems} need${problems === 1 ? 's' : ''} attention`;
    state = 'problem';
  }
  statusLine.textContent = text;
  statusLine.dataset.state = state;
  sendNow.hidden = !(waiting && online && !outbox.current && !outbox.blocked);
}

function ctx() {
  return {
    session: app.session,
    store: app.store,
    outbox: app.outbox,
    navigate,
    handleError,
    refreshStatus,
  };
}

function ownerCtx() {
  return { session: app.session, cache: new OwnerCache(app.ownerStore), navigate, handleError };
}

function navigate(hash, { result } = {}) {
  if (result !== undefined) app.justSent = hash.slice('#/done/'.length);
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** A 401 means the session ended: sign in again; unsent work stays put. */
function handleError(error) {
  if (error instanceof ApiError && error.status === 401 && app.session) {
    leave('Your session has ended. Please sign in again — nothing on this phone is lost.');
    return true;
  }
  return false;
}

async function route() {
  app.view?.dispose?.();
  app.view = null;
  if (!app.session) return;
  // Each navigation renders into its own slot: a slow, superseded render
  // finishes into a detached node instead of over the newer screen.
  const slot = h('div', { class: 'view' });
  main.replaceChildren(slot);
  const hash = location.hash || '#/';
  const audit = hash.match(/^#\/audit\/([0-9a-fA-F-]{36})$/);
  const done = hash.match(/^#\/done\/([0-9a-fA-F-]{36})$/);
  const conflict = hash.match(/^#\/conflict\/([0-9a-fA-F-]{36})$/);
  let view;
  if (app.session.role === 'owner') {
    view = await renderOwner(slot, ownerCtx());
  } else if (audit) {
    view = await renderAudit(slot, ctx(), audit[1]);
  } else if (conflict) {
    view = await renderConflict(slot, ctx(), conflict[1]);
  } else if (done) {
    const justSent = app.justSent === done[1];
    app.justSent = null;
    view = await renderScorecard(slot, ctx(), done[1], justSent);
  } else if (hash === '#/jobs') {
    view = renderJobs(slot, ctx());
    await view.ready;
  } else {
    view = renderHome(slot, ctx());
    await view.ready;
  }
  if (!slot.isConnected) {
    view?.dispose?.();
    return;
  }
  app.view = view;
  window.scrollTo(0, 0);
  refreshStatus();
}

async function refreshSession() {
  try {
    const session = await api.getSession();
    if (!app.session || session.email.toLowerCase() !== app.session.email.toLowerCase()) return false;
    setCsrfToken(session.csrf_token);
    app.session = { ...app.session, ...session };
    saveSession(app.session);
    return true;
  } catch {
    return false;
  }
}

async function enter(session) {
  app.session = session;
  setCsrfToken(session.csrf_token);
  saveSession(session);
  signOutButton.hidden = false;
  if (session.role === 'hq') {
    window.location.assign('/hq'); // HQ works at the desk: straight to the dashboard
    return;
  }
  if (session.role === 'owner') {
    // The owner's own database: what they opened, readable offline (owner-cache.js).
    app.ownerKey = `owner-${await userKey(session.email)}`;
    app.ownerStore = await openStore(app.ownerKey);
    await route();
    return;
  }
  if (session.role !== 'auditor') {
    renderStaffNotice(main, session);
    return;
  }
  const key = await userKey(session.email);
  app.store = await openStore(key);
  app.outbox = new Outbox(app.store, { lockName: `audit-outbox-${key}`, refreshSession });
  for (const type of ['change', 'sent', 'saved', 'rejected', 'retry', 'conflict', 'merged', 'discarded']) {
    app.outbox.addEventListener(type, refreshStatus);
  }
  app.outbox.addEventListener('auth', async () => {
    if (!(await refreshSession())) leave('Please sign in again to send your visits. They are safe on this phone.');
  });
  app.outbox.start();
  requestPersistentStorage();
  await route();
}

/** Close this auditor's data and show the sign-in screen. */
function leave(notice) {
  app.view?.dispose?.();
  app.view = null;
  app.outbox?.stop();
  app.store?.close();
  app.ownerStore?.close();
  Object.assign(app, { session: null, store: null, outbox: null, justSent: null, ownerStore: null });
  setCsrfToken(null);
  forgetSession();
  signOutButton.hidden = true;
  sendNow.hidden = true;
  statusLine.textContent = '';
  renderSignIn(main, { notice, onSignedIn: enter, onForgot: forgot });
}

function forgot(email) {
  history.replaceState(null, '', '/');
  renderForgot(main, { email, onBack: () => leave() });
}

/** The token of an e-mailed link (#/password/TOKEN), or null. */
function linkToken() {
  const match = (location.hash || '').match(/^#\/password\/([A-Za-z0-9_-]{20,200})$/);
  return match ? match[1] : null;
}

/** The page of an invitation or reset link: whoever is signed in here, the link's user
 * chooses a password and is signed in instead. */
async function openLink(token) {
  app.view?.dispose?.();
  app.view = null;
  if (app.session) {
    app.outbox?.stop();
    app.store?.close();
    Object.assign(app, { session: null, store: null, outbox: null, justSent: null });
    setCsrfToken(null);
    signOutButton.hidden = true;
    sendNow.hidden = true;
  }
  await renderSetPassword(main, token, { onSignedIn: enter, onForgot: () => forgot('') });
}

function confirmSignOut(count) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'signout-title', 'aria-describedby': 'signout-text' },
      h('h2', { id: 'signout-title' }, 'Sign out with work not sent?'),
      h('p', { id: 'signout-text' }, count === 1
        ? '1 visit is not on the server yet. It stays safely on this phone and is sent the next time you sign in here. Nobody else who signs in on this phone can see it.'
        : `${count} visits are not on the server yet. They stay safely on this phone and are sent the next time you sign in here. Nobody else who signs in on this phone can see them.`),
      h('div', { class: 'dialog-buttons' },
        h('button', { type: 'button', class: 'primary', onclick: () => dialog.close('stay') }, 'Stay signed in'),
        h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close('leave') }, 'Sign out anyway')));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'leave');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

async function signOut() {
  if (app.store) {
    const [entries, audits] = await Promise.all([app.store.outbox(), app.store.listAudits()]);
    const unsent = new Set(entries.map((e) => e.uuid));
    for (const r of audits) if (r.rev > (r.syncedRev ?? 0) || r.problem || r.conflict) unsent.add(r.uuid);
    if (unsent.size && !(await confirmSignOut(unsent.size))) return;
  }
  app.outbox?.stop();
  try {
    await api.signOut();
  } catch (error) {
    if (!(error instanceof ApiError || error instanceof NetworkError)) throw error;
  }
  await globalThis.caches?.delete(API_CACHE);
  if (app.ownerStore) {
    // An owner's reports are private: nothing of them stays once they sign out.
    app.ownerStore.close();
    app.ownerStore = null;
    indexedDB.deleteDatabase(`audit-${app.ownerKey}`);
  }
  history.replaceState(null, '', '/');
  leave('You are signed out.');
}

async function requestPersistentStorage() {
  try {
    if (navigator.storage?.persist && !(await navigator.storage.persisted())) {
      await navigator.storage.persist();
    }
  } catch {
    // Not offered by this browser: storage is still used, only less protected.
  }
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/', updateViaCache: 'none' }).catch((error) => {
    console.warn('Service worker not registered', error);
  });
}

async function boot() {
  signOutButton.addEventListener('click', signOut);
  sendNow.addEventListener('click', () => app.outbox?.kick());
  window.addEventListener('hashchange', () => {
    const token = linkToken();
    if (token) openLink(token);
    else route();
  });
  window.addEventListener('online', refreshStatus);
  window.addEventListener('offline', refreshStatus);
  const token = linkToken();
  if (token) {
    await openLink(token);
    performance.mark('interactive');
    document.documentElement.dataset.ready = 'true';
    registerServiceWorker();
    return;
  }
  let session = null;
  let notice = null;
  try {
    session = await api.getSession();
  } catch (error) {
    if (error instanceof NetworkError || (error instanceof ApiError && error.transient)) {
      session = savedSession(); // offline: carry on as the last auditor signed in here
    } else if (savedSession()) {
      notice = 'Your session has ended. Please sign in again — nothing on this phone is lost.';
    }
  }
  if (session) await enter(session);
  else leave(notice);
  performance.mark('interactive');
  document.documentElement.dataset.ready = 'true';
  registerServiceWorker();
}

boot();
