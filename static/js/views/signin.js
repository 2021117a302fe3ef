// Sign-in screen: fields labelled "Email" and "Password", a "Sign in" button.

import { api, ApiError, NetworkError } from '../api.js';
import { h } from '../dom.js';

function messageFor(error) {
  if (error instanceof NetworkError) return 'No connection. Signing in needs the internet; try again when you have signal.';
  if (error.status === 401) return 'That email or password is not right. Please try again.';
  if (error.status === 429) return 'Too many tries. Please wait a minute, then try again.';
  return `Signing in did not work (${error.message}). Please try again.`;
}

export function renderSignIn(container, { notice, onSignedIn, onForgot }) {
  const email = h('input', { type: 'email', id: 'email', name: 'email', autocomplete: 'username', required: true, inputmode: 'email', autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { type: 'password', id: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' });
  const button = h('button', { type: 'submit', class: 'primary wide' }, 'Sign in');

  async function submit(event) {
    event.preventDefault();
    error.textContent = '';
    if (!email.value.trim() || !password.value) {
      error.textContent = 'Please enter your email and password.';
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
      h('h1', {}, 'Sign in'),
      h('p', { class: 'lead' }, 'Your visits, checklists and photos — on your phone, even with no signal.'),
      notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
      h('form', { novalidate: true, onsubmit: submit, 'aria-describedby': 'signin-error' },
        h('div', { class: 'field' }, h('label', { for: 'email' }, 'Email'), email),
        h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password),
        error,
        button),
      onForgot ? h('p', { class: 'forgot' }, h('button', { type: 'button', class: 'link', onclick: () => onForgot(email.value.trim()) }, 'Forgot your password?')) : null),
  );
  email.focus();
}
