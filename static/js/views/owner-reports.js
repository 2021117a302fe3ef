// The owner's locations and their approved experience reports: each report's
// summary from its JSON twin (the same figures as the PDF), its PDF, and the
// items the owner may dispute while the appeal window is open.

import { api } from '../api.js';
import { h, score } from '../dom.js';
import { t } from '../i18n.js';
import { actionsLink, actionsSummary } from './actions.js';
import { appealChip, dateText, fill, offlineNote } from './owner-common.js';

function pdfLinks(uuid) {
  const href = `/api/audits/${encodeURIComponent(uuid)}/report.pdf`;
  return h('p', { class: 'report-links' },
    h('a', { class: 'button secondary', href, target: '_blank', rel: 'noopener' }, t('owner.read_report')),
    ' ',
    h('a', { class: 'button secondary', href, download: '' }, t('owner.download_pdf')));
}

function reportCard(audit) {
  return h('li', { class: 'card' },
    h('p', { class: 'card-title' }, audit.checklist_title || audit.checklist),
    h('p', { class: 'card-subtitle' }, t('owner.visit_of', { day: dateText(audit.visited_at) })),
    h('p', { class: 'card-meta' }, t('owner.overall_of_100', { score: score(audit.overall) })),
    h('p', { class: 'report-links' },
      h('a', { class: 'button primary', href: `#/report/${encodeURIComponent(audit.uuid)}` }, t('owner.summary_appeals')),
      ' ',
      actionsLink(audit.uuid)),
    pdfLinks(audit.uuid));
}

async function renderHome(node, ctx) {
  const { session, cache } = ctx;
  node.replaceChildren(h('section', { 'aria-labelledby': 'owner-title' },
    h('h1', { id: 'owner-title' }, session.name ? t('owner.hello', { name: session.name }) : t('owner.your_reports')),
    h('p', {}, t('owner.intro')),
    h('p', { class: 'card-subtitle', role: 'status' }, t('owner.loading_reports'))));
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
    intro.append(h('p', {}, t('owner.no_locations')));
    return;
  }
  intro.append(...locations.value.map((location) => {
    const own = audits.value.filter((audit) => audit.location === location.code);
    return h('section', { class: 'panel', 'aria-label': location.name },
      h('h2', {}, location.name),
      h('p', { class: 'card-subtitle' }, [location.code, location.region].filter(Boolean).join(' \u00b7 ')),
      own.length
        ? h('ul', { class: 'cards' }, own.map(reportCard))
        : h('p', {}, t('owner.no_reports')));
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
        ' ', decided?.answer_text ? t('owner.now', { answer: decided.answer_text }) : t('owner.reported', { answer: appeal.answer_text ?? '' }))));
}

function disputeList(uuid, appeals) {
  const open = new Set(appeals.appeals.filter((a) => a.status === 'open').map((a) => a.item));
  if (!appeals.window_open) {
    return h('p', { class: 'muted' }, appeals.window_closes_at
      ? t('owner.window_ended', { day: dateText(appeals.window_closes_at) })
      : t('owner.no_dispute'));
  }
  return [
    h('p', {}, t('owner.may_dispute', { day: dateText(appeals.window_closes_at) })),
    h('ul', { class: 'dispute-list' }, appeals.items.map((item) => h('li', { class: 'dispute-item' },
      h('div', {},
        h('p', { class: 'dispute-text' }, item.text),
        h('p', { class: 'muted' }, item.points == null ? t('owner.answer', { answer: item.answer_text })
          : t('owner.answer_points', { answer: item.answer_text, points: score(item.points * 100) }))),
      open.has(item.item)
        ? h('span', { class: 'chip chip-appeal-open' }, t('owner.appeal_open'))
        : h('a', {
          class: 'button secondary small',
          href: `#/report/${encodeURIComponent(uuid)}/dispute/${encodeURIComponent(item.item)}`,
          'aria-label': t('owner.dispute_item', { item: item.text }),
        }, t('owner.dispute'))))),
  ];
}

async function renderReport(node, ctx, uuid) {
  node.replaceChildren(h('p', { class: 'card-subtitle', role: 'status' }, t('owner.loading_report')));
  const [report, appeals] = await Promise.all([
    ctx.cache.load(`report:${uuid}`, () => api.reportData(uuid)),
    ctx.cache.load(`appeals:${uuid}`, () => api.auditAppeals(uuid)),
  ]);
  const data = report.value;
  const listed = (await ctx.cache.kept('audits'))?.find((audit) => audit.uuid === uuid);
  const title = listed?.checklist_title || data.checklist;
  const amended = data.version > 1
    ? h('p', { class: 'banner banner-amended', role: 'note' },
      t('owner.amended_version', { version: data.version, day: dateText(data.amended_at) }))
    : null;
  fill(node,
    h('p', { class: 'back' }, h('a', { href: '#/' }, `\u2190 ${t('owner.all_reports')}`)),
    offlineNote(report),
    h('h1', {}, data.location_name),
    h('p', { class: 'lead' }, `${t('owner.visit_of', { day: dateText(data.visited_at) })} \u00b7 ${title}`),
    amended,
    h('div', { class: 'overall' },
      h('p', { class: 'overall-value' }, score(data.overall)),
      h('p', { class: 'overall-label' }, t('owner.overall_label'))),
    h('div', { class: 'figures' }, figure(t('score.service'), data.service), figure(t('score.experience'), data.experience),
      h('div', { class: 'figure' }, h('span', { class: 'figure-label' }, t('owner.would_recommend')),
        h('span', { class: 'figure-value' }, data.nps == null ? '\u2013' : `${data.nps}/10`))),
    h('h2', {}, t('owner.journey')),
    h('ol', { class: 'meters' }, data.touchpoints.map((tp) => h('li', { class: 'meter-row' },
      h('span', { class: 'meter-label' }, tp.label), h('span', { class: 'meter-value' }, score(tp.score))))),
    data.fixes.length ? h('h2', {}, t('owner.fix_first')) : null,
    data.fixes.length ? h('ol', { class: 'fix-list' }, data.fixes.map((fix) => h('li', {},
      fix.label, h('span', { class: 'muted' }, ` \u00b7 ${t('owner.points', { points: score(fix.points * 100) })}`)))) : null,
    data.appeals?.length ? h('h2', {}, t('owner.amended')) : null,
    data.appeals?.length ? h('ul', { class: 'cards' }, data.appeals.map((a) => h('li', { class: 'card' },
      h('p', { class: 'card-title' }, a.label),
      h('p', { class: 'card-meta' }, h('span', { class: `chip chip-appeal-${a.decision}` }, a.decision_label),
        ' ', a.before === a.after ? t('owner.unchanged', { after: a.after }) : t('owner.changed', { after: a.after, before: a.before })),
      a.note ? h('p', { class: 'muted' }, t('owner.hq_said', { note: a.note })) : null))) : null,
    pdfLinks(uuid),
    h('section', { class: 'panel', 'aria-labelledby': 'appeals-title' },
      h('h2', { id: 'appeals-title' }, t('owner.your_appeals')),
      appeals.value.appeals.length
        ? h('ul', { class: 'cards' }, appeals.value.appeals.map(appealLine))
        : h('p', { class: 'muted' }, t('owner.none_disputed_here')),
      h('h3', {}, t('owner.dispute_title')),
      appeals.fresh ? disputeList(uuid, appeals.value) : h('p', { class: 'muted' }, t('owner.connect_to_dispute'))),
  );
}

export const reportsSection = {
  id: 'reports',
  label: () => t('owner.tab_reports'),
  href: '#/',
  routes: [
    { pattern: /^#\/?$/, render: renderHome },
    { pattern: /^#\/report\/([0-9a-fA-F-]{36})$/, render: renderReport },
  ],
};
