// Proof of visit on the phone: one Geolocation reading when the shopper
// checks in on arrival, one when they check out. Nothing else in the app asks
// for the position (the server's Permissions-Policy allows it for this origin).
// A reading is kept on the visit's record and sent by the outbox in order:
// the audit, the check-in, the photos, the check-out, then the submit.

import { when } from './dom.js';
import { formatNumber, t } from './i18n.js';

// Indoors a first fix can take a while; longer than this and the shopper
// is offered to try again or to go on without a position.
export const POSITION_TIMEOUT_MS = 20_000;

const PERMISSION_DENIED = 1;
const TIMEOUT = 3;

/**
 * One reading, never rejected: `{latitude, longitude, accuracy, time}`, or
 * `{permission: 'denied' | 'unavailable', time, reason}` saying why not.
 */
export function readPosition({ timeout = POSITION_TIMEOUT_MS, geolocation = navigator.geolocation } = {}) {
  return new Promise((resolve) => {
    const failed = (permission, reason) => resolve({ permission, reason, time: new Date().toISOString() });
    if (!geolocation) {
      failed('unavailable', 'unsupported');
      return;
    }
    geolocation.getCurrentPosition(
      (position) => resolve({
        latitude: position.coords.latitude,
        longitude: position.coords.longitude,
        accuracy: position.coords.accuracy,
        time: new Date().toISOString(),
      }),
      (error) => {
        if (error.code === PERMISSION_DENIED) failed('denied', 'denied');
        else failed('unavailable', error.code === TIMEOUT ? 'timeout' : 'unavailable');
      },
      { enableHighAccuracy: true, timeout, maximumAge: 0 },
    );
  });
}

/** The body of POST /api/audits/{uuid}/check-in (or check-out) for a kept check. */
export function checkBody(check) {
  if (check.permission && check.permission !== 'granted') {
    return { permission: check.permission, time: check.time };
  }
  return { latitude: check.latitude, longitude: check.longitude, accuracy: check.accuracy, time: check.time };
}

/** A check as the server's audit view gives it, kept as already sent. */
export function checkFromServer(check) {
  if (!check) return null;
  return { ...checkBody(check), sent: true };
}

/** Words for a failed reading: what happened and what the shopper can do. */
export function failureWords(reading) {
  if (reading.reason === 'denied') return t('visit.denied');
  if (reading.reason === 'timeout') return t('visit.timeout');
  return t('visit.unavailable');
}

/** "Checked in at 14:02 · accurate to 13 m", or "… without location"; `key` is visit.checked_in or visit.checked_out. */
export function describeCheck(key, check) {
  const at = t(key, { when: when(check.time) });
  if (check.permission === 'denied') return t('visit.check_denied', { at });
  if (check.permission === 'unavailable') return t('visit.check_none', { at });
  return t('visit.check_accuracy', { at, metres: formatNumber(Math.max(1, Math.round(check.accuracy))) });
}

/** Minutes between two kept checks, by the phone's clock (null when not both). */
export function minutesOnSite(checkIn, checkOut) {
  if (!checkIn || !checkOut) return null;
  return Math.max(0, Math.round((Date.parse(checkOut.time) - Date.parse(checkIn.time)) / 60_000));
}
