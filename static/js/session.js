// Who is signed in on this phone. The last session is remembered so the app
// opens offline; the auditor's databases are named by a hash of the e-mail,
// so no e-mail address is written into storage names.

const KEY = 'audit.session';

export function savedSession() {
  try {
    const session = JSON.parse(localStorage.getItem(KEY));
    return session && typeof session.email === 'string' ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  const { role, csrf_token, name, email } = session;
  localStorage.setItem(KEY, JSON.stringify({ role, csrf_token, name, email }));
}

export function forgetSession() {
  localStorage.removeItem(KEY);
}

export async function userKey(email) {
  const bytes = new TextEncoder().encode(email.trim().toLowerCase());
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest).slice(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** iPhone and iPad Safari evict storage of sites not added to the Home Screen. */
export function needsHomeScreen() {
  const ios = /iPad|iPhone|iPod/.test(navigator.userAgent)
    || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
  const standalone = navigator.standalone === true
    || window.matchMedia('(display-mode: standalone)').matches;
  return ios && !standalone;
}
