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
//   i18n.js        t('key', params): the catalogues in static/i18n/, dates and numbers
//   language.js    which language: the browser's, the switch's, the account's
//   /sw.js         the service worker (served by audit/pwa.py)

import { api, ApiError, NetworkError, setCsrfToken } from './api.js';
import { h } from './dom.js';
import { t, translatePage, useLanguage } from './i18n.js';
import {
  forgetUnsavedLanguage, initialLanguage, languageOfSession, languageSwitch, rememberLanguage, saveLanguage,
} from './language.js';
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
const languageSlot = document.getElementById('language-slot');

const app = {
  session: null,
  store: null,
  outbox: null,
  view: null,
  justSent: null,
  // Draws the signed-out screen shown now again (after a change of language).
  redraw: null,
};

async function refreshStatus() {
  const online = navigator.onLine;
  if (!app.store) {
    statusLine.textContent = online ? '' : t('status.offline');
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
    [text, state] = [t('status.sign_in_to_send', { count: waiting }), 'problem'];
  } else if (outbox.current && waiting) {
    [text, state] = [t('status.sending', { count: waiting }), 'sending'];
  } else if (waiting) {
    [text, state] = [t(online ? 'status.to_send' : 'status.offline_to_send', { count: waiting }), 'waiting'];
  } else if (online) {
    // Work in conflict is not "nothing to send": it waits for the auditor (counted below).
    [text, state] = [t(entries.length ? 'status.online' : 'status.online_nothing'), 'ok'];
  } else {
    [text, state] = [t('status.offline_kept'), 'offline'];
  }
  if (problems) {
    text += t('status.attention', { count: problems });
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
    leave('session.ended');
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
  app.redraw = null;
  setCsrfToken(session.csrf_token); // a choice made offline is saved first (a write)
  // The account's stored language wins over this device's on signing in.
  const chosen = await languageOfSession(session);
  if (chosen !== document.documentElement.lang) {
    rememberLanguage(chosen);
    await showLanguage(chosen);
  }
  app.session = session;
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
    if (!(await refreshSession())) leave('session.sign_in_to_send');
  });
  app.outbox.start();
  requestPersistentStorage();
  await route();
}

/** Close this auditor's data and show the sign-in screen (with the text of the key `notice`). */
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
  forgetUnsavedLanguage();
  app.redraw = (typed) => renderSignIn(main, { notice: notice ? t(notice) : null, email: typed, onSignedIn: enter, onForgot: forgot });
  app.redraw();
}

function forgot(email) {
  history.replaceState(null, '', '/');
  app.redraw = (typed) => renderForgot(main, { email: typed ?? email, onBack: () => leave() });
  app.redraw();
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
  app.redraw = () => renderSetPassword(main, token, { onSignedIn: enter, onForgot: () => forgot('') });
  await app.redraw();
}

function confirmSignOut(count) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'signout-title', 'aria-describedby': 'signout-text' },
      h('h2', { id: 'signout-title' }, t('signout.title')),
      h('p', { id: 'signout-text' }, t('signout.text', { count })),
      h('div', { class: 'dialog-buttons' },
        h('button', { type: 'button', class: 'primary', onclick: () => dialog.close('stay') }, t('signout.stay')),
        h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close('leave') }, t('signout.leave'))));
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
  leave('session.signed_out');
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

/** Show the app in a language: its catalogue, the page's static texts, the switch. */
async function showLanguage(code) {
  await useLanguage(code);
  translatePage();
  languageSlot.replaceChildren(languageSwitch(chooseLanguage));
}

/** The switch was used: remember, save to the account, and draw the screen again. */
async function chooseLanguage(code) {
  rememberLanguage(code);
  await showLanguage(code);
  if (!app.session) {
    app.redraw?.(document.getElementById('email')?.value.trim() ?? document.getElementById('reset-email')?.value.trim());
    return;
  }
  // Before drawing again: the account's choice decides the server's words (report.json).
  await saveLanguage(code);
  await app.view?.settled?.();
  if (app.store || app.ownerStore) await route();
  else if (app.session.role !== 'hq') renderStaffNotice(main, app.session);
  refreshStatus();
}

async function boot() {
  await showLanguage(initialLanguage());
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
      notice = 'session.ended';
    }
  }
  if (session) await enter(session);
  else leave(notice);
  performance.mark('interactive');
  document.documentElement.dataset.ready = 'true';
  registerServiceWorker();
}

boot();
