// Sign-in screen: fields labelled "Email" and "Password", a "Sign in" button
// (in English; the catalogues hold every language's words).

import { api, ApiError, NetworkError } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

function messageFor(error) {
  if (error instanceof NetworkError) return t('signin.offline');
  if (error.status === 401) return t('signin.wrong');
  if (error.status === 429) return t('signin.too_many');
  return t('signin.failed', { message: error.message });
}

export function renderSignIn(container, { notice, email: typed, onSignedIn, onForgot }) {
  const email = h('input', { type: 'email', id: 'email', name: 'email', autocomplete: 'username', required: true, inputmode: 'email', autocapitalize: 'none', spellcheck: 'false', value: typed || null });
  const password = h('input', { type: 'password', id: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' });
  const button = h('button', { type: 'submit', class: 'primary wide' }, t('signin.button'));

  async function submit(event) {
    event.preventDefault();
    error.textContent = '';
    if (!email.value.trim() || !password.value) {
      error.textContent = t('signin.missing');
      (email.value.trim() ? password : email).focus();
      return;
    }
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const session = await api.signIn(email.value.trim(), password.value);
      await onSignedIn({ email: email.value.trim(), ...session });
    } catch (err) {
      if (!(err instanceof ApiError || err instanceof NetworkError)) throw err;
      error.textContent = messageFor(err);
      password.select();
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  container.replaceChildren(
    h('div', { class: 'panel signin' },
      h('h1', {}, t('signin.title')),
      h('p', { class: 'lead' }, t('signin.lead')),
      notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
      h('form', { novalidate: true, onsubmit: submit, 'aria-describedby': 'signin-error' },
        h('div', { class: 'field' }, h('label', { for: 'email' }, t('field.email')), email),
        h('div', { class: 'field' }, h('label', { for: 'password' }, t('field.password')), password),
        error,
        button),
      onForgot ? h('p', { class: 'forgot' }, h('button', { type: 'button', class: 'link', onclick: () => onForgot(email.value.trim()) }, t('signin.forgot'))) : null),
  );
  email.focus();
}
