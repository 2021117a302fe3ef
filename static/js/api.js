// The JSON API (docs/api.md). Every write carries the session's CSRF token.
// Errors are split into what the outbox needs to know: NetworkError (no
// answer at all: retry later) and ApiError (the server answered with a 4xx/5xx).
// Writes to an audit may carry If-Match: "r<revision>" (the revision the
// phone's copy is based on); a 412 then holds the server's current audit.

import { language, t } from './i18n.js';

const JSON_TIMEOUT_MS = 30_000;
// A 1600 px JPEG is ~400 KB; on a weak 3G uplink that takes a minute.
const UPLOAD_TIMEOUT_MS = 180_000;

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token ?? null;
}

export class NetworkError extends Error {
  constructor(cause) {
    super('No connection to the server');
    this.name = 'NetworkError';
    this.cause = cause;
  }
}

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body?.error || t('error.server_status', { status: String(status) }));
    this.name = 'ApiError';
    this.status = status;
    this.fields = body?.fields ?? {};
    this.missing = body?.missing ?? [];
    this.retryAfter = retryAfter;
    this.body = body;
  }

  /** 408, 429 and 5xx may succeed later; other 4xx will not. */
  get transient() {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

function timeoutSignal(ms) {
  if (AbortSignal.timeout) return AbortSignal.timeout(ms);
  const controller = new AbortController(); // Safari before 16
  setTimeout(() => controller.abort(), ms);
  return controller.signal;
}

const ETAG_REVISION = /^(?:W\/)?"r(\d+)"$/;

/** The revision an ETag names ("r7" → 7), or null. */
export function etagRevision(etag) {
  const match = ETAG_REVISION.exec((etag ?? '').trim());
  return match ? Number(match[1]) : null;
}

/** The If-Match value for a known revision; undefined (no header) when there is none. */
function ifMatch(revision) {
  return Number.isInteger(revision) ? `"r${revision}"` : undefined;
}

export async function request(method, path, { json, body, contentType, timeout, headers: extra } = {}) {
  // The server words its own messages in the app's language where it can.
  const headers = new Headers({ Accept: 'application/json', 'Accept-Language': language() });
  for (const [name, value] of Object.entries(extra ?? {})) if (value !== undefined) headers.set(name, value);
  if (json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(json);
  } else if (contentType) {
    headers.set('Content-Type', contentType);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers.set('X-CSRF-Token', csrfToken);
  let response;
  try {
    response = await fetch(path, {
      method,
      body,
      headers,
      credentials: 'same-origin',
      signal: timeoutSignal(timeout ?? JSON_TIMEOUT_MS),
    });
  } catch (error) {
    throw new NetworkError(error);
  }
  let data = null;
  if ((response.headers.get('Content-Type') || '').includes('json')) {
    try {
      data = await response.json();
    } catch (error) {
      if (response.ok) throw new NetworkError(error); // cut off mid-body
    }
  }
  // An audit answer without "revision" in its body still names it in its ETag.
  const revision = etagRevision(response.headers.get('ETag'));
  if (revision !== null && data && typeof data === 'object' && !Array.isArray(data)) data.revision ??= revision;
  if (!response.ok) {
    const retryAfter = Number(response.headers.get('Retry-After')) || undefined;
    throw new ApiError(response.status, data, retryAfter);
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  getSession: () => request('GET', '/api/session'),
  signIn: (email, password) => request('POST', '/api/session', { json: { email, password } }),
  signOut: () => request('DELETE', '/api/session'),
  setLanguage: (code) => request('PATCH', '/api/session', { json: { language: code } }),
  requestReset: (email) => request('POST', '/api/password-reset', { json: { email } }),
  describeLink: (token) => request('POST', '/api/password-link', { json: { token } }),
  setPassword: (token, password) => request('POST', '/api/password', { json: { token, password } }),
  locations: () => request('GET', '/api/locations'),
  checklists: () => request('GET', `/api/checklists?lang=${enc(language())}`),
  // In the app's language (the server falls back to the checklist's own text).
  checklist: (id, hash) => request('GET', `/api/checklists/${enc(id)}?${hash ? `hash=${enc(hash)}&` : ''}lang=${enc(language())}`),
  assignments: () => request('GET', '/api/assignments'),
  claim: (id) => request('POST', `/api/assignments/${enc(id)}/claim`),
  release: (id) => request('POST', `/api/assignments/${enc(id)}/release`),
  audits: (query = '') => request('GET', `/api/audits${query}`),
  audit: (uuid) => request('GET', `/api/audits/${enc(uuid)}`),
  saveAudit: (uuid, payload, revision) =>
    request('PUT', `/api/audits/${enc(uuid)}`, { json: payload, headers: { 'If-Match': ifMatch(revision) } }),
  submitAudit: (uuid, payload, revision) =>
    request('POST', `/api/audits/${enc(uuid)}/submit`, { json: payload, headers: { 'If-Match': ifMatch(revision) } }),
  discardAudit: (uuid, revision) =>
    request('DELETE', `/api/audits/${enc(uuid)}`, { headers: { 'If-Match': ifMatch(revision) } }),
  putPhoto: (uuid, photoUuid, item, blob) =>
    request('PUT', `/api/audits/${enc(uuid)}/photos/${enc(photoUuid)}?item=${enc(item)}`, {
      body: blob,
      contentType: blob.type || 'image/jpeg',
      timeout: UPLOAD_TIMEOUT_MS,
    }),
  deletePhoto: (uuid, photoUuid, revision) =>
    request('DELETE', `/api/audits/${enc(uuid)}/photos/${enc(photoUuid)}`, { headers: { 'If-Match': ifMatch(revision) } }),
  checkIn: (uuid, body) => request('POST', `/api/audits/${enc(uuid)}/check-in`, { json: body }),
  checkOut: (uuid, body) => request('POST', `/api/audits/${enc(uuid)}/check-out`, { json: body }),
  reportData: (uuid) => request('GET', `/api/audits/${enc(uuid)}/report.json`),
  auditAppeals: (uuid) => request('GET', `/api/audits/${enc(uuid)}/appeals`),
  openAppeal: (uuid, body) => request('POST', `/api/audits/${enc(uuid)}/appeals`, { json: body }),
  putAppealPhoto: (appealUuid, blob) =>
    request('PUT', `/api/appeals/${enc(appealUuid)}/photo`, {
      body: blob,
      contentType: blob.type || 'image/jpeg',
      timeout: UPLOAD_TIMEOUT_MS,
    }),
  appeals: () => request('GET', '/api/appeals?limit=500'),
  appeal: (appealUuid) => request('GET', `/api/appeals/${enc(appealUuid)}`),
  photoUrl: (uuid, photoUuid) =>
    `/api/audits/${enc(uuid)}/photos/${enc(photoUuid)}?size=thumb`,
};
