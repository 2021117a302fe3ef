// The franchise owner's portal, phone-first: a shell with one tab per section
// (owner-sections.js: reports, appeals, …) and each section's hash routes.
// Owners never see who did the visit: nothing the server sends them names the
// auditor. Reports already opened read offline (owner-cache.js).

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { loadProblem } from './owner-common.js';
import { OWNER_SECTIONS } from './owner-sections.js';

function resolve(hash) {
  for (const section of OWNER_SECTIONS) {
    for (const route of section.routes) {
      const match = hash.match(route.pattern);
      if (match) return { section, route, groups: match.slice(1) };
    }
  }
  const [first] = OWNER_SECTIONS;
  return { section: first, route: first.routes[0], groups: [] };
}

/** Render the portal page the hash names into ``slot``. */
export async function renderOwner(slot, ctx) {
  const { section, route, groups } = resolve(location.hash || '#/');
  const tabs = h('nav', { class: 'owner-tabs', 'aria-label': t('owner.portal') },
    OWNER_SECTIONS.map((s) => h('a', { href: s.href, 'aria-current': s === section ? 'page' : null }, s.label())));
  const body = h('div', { class: 'owner-body' });
  slot.replaceChildren(tabs, body);
  try {
    await route.render(body, ctx, ...groups.map(decodeURIComponent));
  } catch (error) {
    if (ctx.handleError(error)) return null;
    body.replaceChildren(h('p', { class: 'error', role: 'alert' }, loadProblem(error)));
  }
  return null;
}

export function renderStaffNotice(main, session) {
  const dashboard = session.role === 'hq'
    ? h('p', {}, h('a', { class: 'button primary', href: '/hq' }, t('staff.dashboard')))
    : null;
  main.replaceChildren(h('div', { class: 'panel' },
    h('h1', {}, t('staff.title')),
    h('p', {}, t('staff.text', { role: session.role })),
    dashboard));
}
