// The franchise owner's pages: their locations and the approved experience
// reports of each, to read or download. Owners never see who did the visit.

import { api } from '../api.js';
import { h, score } from '../dom.js';
import { actionsLink, actionsSummary, renderActions } from './actions.js';

const visitDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });

function dateText(value) {
  if (!value) return '';
  const date = new Date(`${value.slice(0, 10)}T12:00:00`);
  return Number.isNaN(date.getTime()) ? value : visitDate.format(date);
}

function reportCard(audit) {
  const href = `/api/audits/${encodeURIComponent(audit.uuid)}/report.pdf`;
  return h('li', { class: 'card' },
    h('p', { class: 'card-title' }, audit.checklist_title || audit.checklist),
    h('p', { class: 'card-subtitle' }, `Visit of ${dateText(audit.visited_at)}`),
    h('p', { class: 'card-meta' }, `Overall score ${score(audit.overall)} out of 100`),
    h('p', { class: 'report-links' },
      h('a', { class: 'button secondary', href, target: '_blank', rel: 'noopener' }, 'Read the report'),
      ' ',
      h('a', { class: 'button secondary', href, download: '' }, 'Download PDF'),
      ' ',
      actionsLink(audit.uuid)));
}

export async function renderOwner(main, session) {
  if (await renderActions(main, window.location.hash)) return;
  const intro = h('p', {}, 'Each report follows a mystery shopper through your customer\u2019s whole journey: '
    + 'the website, the phone, finding you, your facilities, your staff, paying and what came after.');
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'card-subtitle' }, 'Loading your reports\u2026'));
  main.replaceChildren(h('section', { 'aria-labelledby': 'owner-title' },
    h('h1', { id: 'owner-title' }, session.name ? `Hello, ${session.name}` : 'Your experience reports'),
    intro, body));
  let locations;
  let audits;
  try {
    [locations, audits] = await Promise.all([api.locations(), api.audits('?status=approved&limit=500')]);
  } catch {
    body.replaceChildren(h('p', { class: 'error', role: 'alert' },
      'Your reports could not be loaded. Check the connection and reload the page.'));
    return;
  }
  if (!locations.length) {
    body.replaceChildren(h('p', {}, 'No locations are linked to your account yet. Ask your head office to add them.'));
    return;
  }
  const summary = await actionsSummary();
  body.replaceChildren(...(summary ? [summary] : []), ...locations.map((location) => {
    const own = audits.filter((audit) => audit.location === location.code);
    return h('section', { class: 'panel', 'aria-label': location.name },
      h('h2', {}, location.name),
      h('p', { class: 'card-subtitle' }, [location.code, location.region].filter(Boolean).join(' \u00b7 ')),
      own.length
        ? h('ul', { class: 'cards' }, own.map(reportCard))
        : h('p', {}, 'No published reports for this location yet.'));
  }));
}

export function renderStaffNotice(main, session) {
  const dashboard = session.role === 'hq'
    ? h('p', {}, h('a', { class: 'button primary', href: '/hq' }, 'Open the HQ dashboard'))
    : null;
  main.replaceChildren(h('div', { class: 'panel' },
    h('h1', {}, 'This app is for auditors'),
    h('p', {}, `You are signed in with a ${session.role} account. Visits are recorded with an auditor account.`),
    dashboard));
}
