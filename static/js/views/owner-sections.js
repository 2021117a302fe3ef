// The owner portal's sections, in the order of its tabs. Each section is
// { id, label() (its tab's words), href, routes: [{ pattern, render(node, ctx, ...groups) }] }:
// the shell (owner.js) shows the tabs and renders the first route whose
// pattern matches the location's hash. A new section is one module here.

import { renderActions } from './actions.js';
import { t } from '../i18n.js';
import { appealsSection } from './owner-appeals.js';
import { reportsSection } from './owner-reports.js';

// Corrective actions (views/actions.js): #/actions and #/actions/UUID.
const actionsSection = {
  id: 'actions',
  label: () => t('owner.tab_actions'),
  href: '#/actions',
  routes: [{ pattern: /^#\/actions(?:\/[0-9a-fA-F-]{36})?$/, render: (node) => renderActions(node, location.hash) }],
};

export const OWNER_SECTIONS = [reportsSection, appealsSection, actionsSection];
