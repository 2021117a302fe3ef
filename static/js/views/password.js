// "Forgot your password?" and the page an e-mailed link opens (#/password/TOKEN):
// an invitation or a reset, where the user chooses a password and is signed in.
// The token goes to the server in a request body, never in a URL.

import { api, ApiError, NetworkError } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

function problemOf(error) {
  if (error instanceof NetworkError) return t('password.offline');
  if (error.status === 429) return t('password.too_many');
  return t('password.failed', { message: error.message });
}

export function renderForgot(container, { email: typed, onBack }) {
  const email = h('input', { type: 'email', id: 'reset-email', name: 'email', autocomplete: 'username', required: true, inputmode: 'email', autocapitalize: 'none', spellcheck: 'false', value: typed || '' });
  const error = h('p', { class: 'error', role: 'alert', id: 'reset-error' });
  const button = h('button', { type: 'submit', class: 'primary wide' }, t('forgot.button'));
  const form = h('form', { novalidate: true, onsubmit: submit, 'aria-describedby': 'reset-error' },
    h('div', { class: 'field' }, h('label', { for: 'reset-email' }, t('field.email')), email),
    error,
    button);
  const panel = h('div', { class: 'panel signin' },
    h('h1', {}, t('forgot.title')),
    h('p', { class: 'lead' }, t('forgot.lead')),
    form,
    h('p', {}, h('button', { type: 'button', class: 'link', onclick: onBack }, t('forgot.back'))));

  async function submit(event) {
    event.preventDefault();
    error.textContent = '';
    if (!email.value.trim()) {
      error.textContent = t('forgot.missing');
      email.focus();
      return;
    }
    button.disabled = true;
    try {
      await api.requestReset(email.value.trim());
      // The same words whether or not the address has an account (as the server's).
      form.replaceWith(h('p', { class: 'notice', role: 'status' }, t('forgot.sent')));
    } catch (err) {
      if (!(err instanceof ApiError || err instanceof NetworkError)) throw err;
      error.textContent = problemOf(err);
      button.disabled = false;
    }
  }

  container.replaceChildren(panel);
  email.focus();
}

export async function renderSetPassword(container, token, { onSignedIn, onForgot }) {
  container.replaceChildren(h('div', { class: 'panel signin' }, h('p', { role: 'status' }, t('link.checking'))));
  let link;
  try {
    link = await api.describeLink(token);
  } catch (err) {
    if (!(err instanceof ApiError || err instanceof NetworkError)) throw err;
    const dead = err instanceof ApiError && err.status === 404;
    container.replaceChildren(h('div', { class: 'panel signin' },
      h('h1', {}, dead ? t('link.dead_title') : t('link.unchecked_title')),
      h('p', { role: 'alert' }, dead ? t('link.dead_text') : problemOf(err)),
      h('button', { type: 'button', class: 'primary wide', onclick: () => onForgot() }, t('link.new'))));
    return;
  }
  const invite = link.purpose === 'invite';
  const password = h('input', { type: 'password', id: 'new-password', name: 'new-password', autocomplete: 'new-password', required: true, minlength: 8, 'aria-describedby': 'password-rules' });
  const again = h('input', { type: 'password', id: 'repeat-password', name: 'repeat-password', autocomplete: 'new-password', required: true });
  const error = h('p', { class: 'error', role: 'alert', id: 'password-error' });
  const button = h('button', { type: 'submit', class: 'primary wide' }, invite ? t('link.save_invite') : t('link.save_reset'));

  async function submit(event) {
    event.preventDefault();
    error.textContent = '';
    if (password.value.length < 8) {
      error.textContent = t('link.too_short', { count: 8 });
      password.focus();
      return;
    }
    if (password.value !== again.value) {
      error.textContent = t('link.not_same');
      again.select();
      return;
    }
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const session = await api.setPassword(token, password.value);
      history.replaceState(null, '', '/');
      await onSignedIn({ email: link.email, ...session });
    } catch (err) {
      if (!(err instanceof ApiError || err instanceof NetworkError)) throw err;
      if (err instanceof ApiError && err.status === 422 && err.fields.password) {
        error.textContent = `${err.fields.password.charAt(0).toUpperCase()}${err.fields.password.slice(1)}`;
      } else if (err instanceof ApiError && err.status === 404) {
        error.textContent = t('link.used');
      } else {
        error.textContent = problemOf(err);
      }
      password.select();
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  container.replaceChildren(
    h('div', { class: 'panel signin' },
      h('h1', {}, invite ? t('link.invite_title') : t('link.reset_title')),
      h('p', { class: 'lead' }, t('link.for', { email: link.email }), ' ', invite ? t('link.invite_lead') : t('link.reset_lead')),
      h('form', { novalidate: true, onsubmit: submit, 'aria-describedby': 'password-error' },
        // For password managers: the account the new password belongs to.
        h('input', { type: 'email', name: 'username', autocomplete: 'username', value: link.email, hidden: true, readonly: true }),
        h('div', { class: 'field' }, h('label', { for: 'new-password' }, t('link.new_password')), password,
          h('p', { class: 'muted', id: 'password-rules' }, t('link.rules', { count: 8 }))),
        h('div', { class: 'field' }, h('label', { for: 'repeat-password' }, t('link.repeat')), again),
        error,
        button)),
  );
  password.focus();
}
