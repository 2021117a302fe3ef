// The two answer types made for facts told at several touchpoints (the
// server's audit/facts.py): a time range {from: "09:00", to: "17:30"} and an
// amount of money {amount: "12.99", currency: "EUR"}. The phone checks them
// early for comfort and sends them in the server's normal form, so a draft
// read back compares equal to what was sent; the server decides.

import { formatNumber, t } from './i18n.js';

// ISO 4217 currencies whose minor unit is not the cent (as audit/facts.py).
const ZERO_DECIMALS = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG',
  'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMALS = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);

export function minorDigits(currency) {
  if (ZERO_DECIMALS.has(currency)) return 0;
  return THREE_DECIMALS.has(currency) ? 3 : 2;
}

/** A typed amount ("12,5", "12.50", " 7 ") in the item's currency: {value} or {problem}. */
export function readMoney(item, raw) {
  const text = raw.trim().replace(',', '.');
  if (text === '') return {};
  const digits = minorDigits(item.currency);
  const match = /^(\d{1,13})(?:\.(\d*))?$/.exec(text);
  if (!match) return { problem: t('fact.amount_example', { example: formatNumber(12.99) }) };
  const part = (match[2] ?? '').replace(/0+$/, '');
  if (part.length > digits) {
    return {
      problem: digits ? t('fact.decimals', { count: digits, currency: item.currency }) : t('fact.whole', { currency: item.currency }),
    };
  }
  const whole = String(Number(match[1]));
  const amount = digits ? `${whole}.${part.padEnd(digits, '0')}` : whole;
  return { value: { amount, currency: item.currency } };
}

/** Two time inputs ("HH:MM" each, or empty): {value} or {problem}. */
export function readTimeRange(from, to) {
  if (from === '' && to === '') return {};
  if (from === '' || to === '') return { problem: t('fact.both_times') };
  if (from === to) return { problem: t('fact.times_differ') };
  return { value: { from, to } };
}

/** Answer values equal as the server compares them (objects key by key). */
export function sameValue(a, b) {
  if (a === b) return true;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** "09:00–17:30"; "$49.99", "¥1,200" in English, "49,99 $US", "1 200 JPY" in French. */
export function factInWords(item, value) {
  if (item.type === 'time_range') return `${value.from}–${value.to}`;
  const digits = (value.amount.split('.')[1] ?? '').length;
  try {
    return formatNumber(Number(value.amount), {
      style: 'currency', currency: value.currency, minimumFractionDigits: digits, maximumFractionDigits: digits,
    });
  } catch {
    return `${formatNumber(Number(value.amount), { minimumFractionDigits: digits })} ${value.currency}`;
  }
}
