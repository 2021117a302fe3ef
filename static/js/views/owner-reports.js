// The owner's locations and their approved experience reports: each report's
// summary from its JSON twin (the same figures as the PDF), its PDF, and the
// items the owner may dispute while the appeal window is open.

import { api } from '../api.js';
import { h, score } from '../dom.js';
import { actionsLink, actionsSummary } from './actions.js';
import { appealChip, dateText, fill, offlineNote } from './owner-common.js';

function pdfLinks(uuid) {
  const href = `/api/audits/${encodeURIComponent(uuid)}/report.pdf`;
  return h('p', { class: 'report-links' },
    h('a', { class: 'button secondary', href, target: '_blank', rel: 'noopener' }, 'Read the report'),
    ' ',
    h('a', { class: 'button secondary', href, download: '' }, 'Download PDF'));
}

function reportCard(audit) {
  return h('li', { class: 'card' },
    h('p', { class: 'card-title' }, audit.checklist_title || audit.checklist),
    h('p', { class: 'card-subtitle' }, `Visit of ${dateText(audit.visited_at)}`),
    h('p', { class: 'card-meta' }, `Overall score ${score(audit.overall)} out of 100`),
    h('p', { class: 'report-links' },
      h('a', { class: 'button primary', href: `#/report/${encodeURIComponent(audit.uuid)}` }, 'Summary and appeals'),
      ' ',
      actionsLink(audit.uuid)),
    pdfLinks(audit.uuid));
}

async function renderHome(node, ctx) {
  const { session, cache } = ctx;
  node.replaceChildren(h('section', { 'aria-labelledby': 'owner-title' },
    h('h1', { id: 'owner-title' }, session.name ? `Hello, ${session.name}` : 'Your experience reports'),
    h('p', {}, 'Each report follows a mystery shopper through your customer\u2019s whole journey: '
      + 'the website, the phone, finding you, your facilities, your staff, paying and what came after.'),
    h('p', { class: 'card-subtitle', role: 'status' }, 'Loading your reports\u2026')));
  const [locations, audits] = await Promise.all([
    cache.load('locations', () => api.locations()),
    cache.load('audits', () => api.audits('?status=approved&limit=500')),
  ]);
  const intro = node.firstChild;
  intro.lastChild.remove();
  const note = offlineNote(audits);
  if (note) intro.append(note);
  const summary = audits.fresh ? await actionsSummary() : null;
  if (summary) intro.append(summary);
  if (!locations.value.length) {
    intro.append(h('p', {}, 'No locations are linked to your account yet. Ask your head office to add them.'));
    return;
  }
  intro.append(...locations.value.map((location) => {
    const own = audits.value.filter((audit) => audit.location === location.code);
    return h('section', { class: 'panel', 'aria-label': location.name },
      h('h2', {}, location.name),
      h('p', { class: 'card-subtitle' }, [location.code, location.region].filter(Boolean).join(' \u00b7 ')),
      own.length
        ? h('ul', { class: 'cards' }, own.map(reportCard))
        : h('p', {}, 'No published reports for this location yet.'));
  }));
}

function figure(label, value) {
  return h('div', { class: 'figure' }, h('span', { class: 'figure-label' }, label),
    h('span', { class: 'figure-value' }, score(value)));
}

function appealLine(appeal) {
  const decided = appeal.decision;
  return h('li', { class: 'card' },
    h('a', { class: 'card-link', href: `#/appeal/${encodeURIComponent(appeal.uuid)}` },
      h('p', { class: 'card-title' }, appeal.item_text),
      h('p', { class: 'card-meta' }, appealChip(appeal),
        decided?.answer_text ? ` Now: ${decided.answer_text}` : ` Reported: ${appeal.answer_text ?? ''}`)));
}

function disputeList(uuid, appeals) {
  const open = new Set(appeals.appeals.filter((a) => a.status === 'open').map((a) => a.item));
  if (!appeals.window_open) {
    return h('p', { class: 'muted' }, appeals.window_closes_at
      ? `The time to dispute items of this report ended on ${dateText(appeals.window_closes_at)}.`
      : 'Items of this report can no longer be disputed.');
  }
  return [
    h('p', {}, `You may dispute any item below until ${dateText(appeals.window_closes_at)}. `
      + 'Head office looks at it again and tells you its decision here.'),
    h('ul', { class: 'dispute-list' }, appeals.items.map((item) => h('li', { class: 'dispute-item' },
      h('div', {},
        h('p', { class: 'dispute-text' }, item.text),
        h('p', { class: 'muted' }, `Answer: ${item.answer_text}${item.points == null ? '' : ` \u00b7 ${score(item.points * 100)} points of 100`}`)),
      open.has(item.item)
        ? h('span', { class: 'chip chip-appeal-open' }, 'Appeal open')
        : h('a', {
          class: 'button secondary small',
          href: `#/report/${encodeURIComponent(uuid)}/dispute/${encodeURIComponent(item.item)}`,
          'aria-label': `Dispute: ${item.text}`,
        }, 'Dispute')))),
  ];
}

async function renderReport(node, ctx, uuid) {
  node.replaceChildren(h('p', { class: 'card-subtitle', role: 'status' }, 'Loading the report\u2026'));
  const [report, appeals] = await Promise.all([
    ctx.cache.load(`report:${uuid}`, () => api.reportData(uuid)),
    ctx.cache.load(`appeals:${uuid}`, () => api.auditAppeals(uuid)),
  ]);
  const data = report.value;
  const listed = (await ctx.cache.kept('audits'))?.find((audit) => audit.uuid === uuid);
  const title = listed?.checklist_title || data.checklist;
  const amended = data.version > 1
    ? h('p', { class: 'banner banner-amended', role: 'note' },
      `Version ${data.version} \u2014 amended after appeal on ${dateText(data.amended_at)}.`)
    : null;
  fill(node,
    h('p', { class: 'back' }, h('a', { href: '#/' }, '\u2190 All reports')),
    offlineNote(report),
    h('h1', {}, data.location_name),
    h('p', { class: 'lead' }, `Visit of ${dateText(data.visited_at)} \u00b7 ${title}`),
    amended,
    h('div', { class: 'overall' },
      h('p', { class: 'overall-value' }, score(data.overall)),
      h('p', { class: 'overall-label' }, 'Overall score out of 100')),
    h('div', { class: 'figures' }, figure('Service', data.service), figure('Experience', data.experience),
      h('div', { class: 'figure' }, h('span', { class: 'figure-label' }, 'Would recommend'),
        h('span', { class: 'figure-value' }, data.nps == null ? '\u2013' : `${data.nps}/10`))),
    h('h2', {}, 'The customer\u2019s journey'),
    h('ol', { class: 'meters' }, data.touchpoints.map((tp) => h('li', { class: 'meter-row' },
      h('span', { class: 'meter-label' }, tp.label), h('span', { class: 'meter-value' }, score(tp.score))))),
    data.fixes.length ? h('h2', {}, 'What to fix first') : null,
    data.fixes.length ? h('ol', { class: 'fix-list' }, data.fixes.map((fix) => h('li', {},
      fix.label, h('span', { class: 'muted' }, ` \u00b7 ${score(fix.points * 100)} points of 100`)))) : null,
    data.appeals?.length ? h('h2', {}, 'Amended after appeal') : null,
    data.appeals?.length ? h('ul', { class: 'cards' }, data.appeals.map((a) => h('li', { class: 'card' },
      h('p', { class: 'card-title' }, a.label),
      h('p', { class: 'card-meta' }, h('span', { class: `chip chip-appeal-${a.decision}` }, a.decision_label),
        a.before === a.after ? ` ${a.after} (unchanged)` : ` ${a.after} (first reported: ${a.before})`),
      a.note ? h('p', { class: 'muted' }, `Head office: ${a.note}`) : null))) : null,
    pdfLinks(uuid),
    h('section', { class: 'panel', 'aria-labelledby': 'appeals-title' },
      h('h2', { id: 'appeals-title' }, 'Your appeals'),
      appeals.value.appeals.length
        ? h('ul', { class: 'cards' }, appeals.value.appeals.map(appealLine))
        : h('p', { class: 'muted' }, 'You have not disputed any item of this report.'),
      h('h3', {}, 'Dispute an item'),
      appeals.fresh ? disputeList(uuid, appeals.value) : h('p', { class: 'muted' }, 'Connect to dispute an item.')),
  );
}

export const reportsSection = {
  id: 'reports',
  label: 'Reports',
  href: '#/',
  routes: [
    { pattern: /^#\/?$/, render: renderHome },
    { pattern: /^#\/report\/([0-9a-fA-F-]{36})$/, render: renderReport },
  ],
};
