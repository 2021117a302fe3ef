// "Forgot your password?" and the page an e-mailed link opens (#/password/TOKEN):
// an invitation or a reset, where the user chooses a password and is signed in.
// The token goes to the server in a request body, never in a URL.

import { api, ApiError, NetworkError } from '../api.js';
import { h } from '../dom.js';

const OFFLINE = 'No connection. This needs the internet; try again when you have signal.';

function problemOf(error) {
  if (error instanceof NetworkError) return OFFLINE;
  if (error.status === 429) return 'Too many tries. Please wait a few minutes, then try again.';
  return `That did not work (${error.message}). Please try again.`;
}

export function renderForgot(container, { email: typed, onBack }) {
  const email = h('input', { type: 'email', id: 'reset-email', name: 'email', autocomplete: 'username', required: true, inputmode: 'email', autocapitalize: 'none', spellcheck: 'false', value: typed || '' });
  const error = h('p', { class: 'error', role: 'alert', id: 'reset-error' });
  const button = h('button', { type: 'submit', class: 'primary wide' }, 'Send me a link');
  const form = h('form', { novalidate: true, onsubmit: submit, 'aria-describedby': 'reset-error' },
    h('div', { class: 'field' }, h('label', { for: 'reset-email' }, 'Email'), email),
    error,
    button);
  const panel = h('div', { class: 'panel signin' },
    h('h1', {}, 'Forgot your password?'),
    h('p', { class: 'lead' }, 'Enter the address you sign in with. We will e-mail you a link to choose a new password.'),
    form,
    h('p', {}, h('button', { type: 'button', class: 'link', onclick: onBack }, 'Back to sign in')));

  async function submit(event) {
    event.preventDefault();
    error.textContent = '';
    if (!email.value.trim()) {
      error.textContent = 'Please enter your email.';
      email.focus();
      return;
    }
    button.disabled = true;
    try {
      const answer = await api.requestReset(email.value.trim());
      form.replaceWith(h('p', { class: 'notice', role: 'status' }, answer.message));
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
  container.replaceChildren(h('div', { class: 'panel signin' }, h('p', { role: 'status' }, 'Checking your link…')));
  let link;
  try {
    link = await api.describeLink(token);
  } catch (err) {
    if (!(err instanceof ApiError || err instanceof NetworkError)) throw err;
    const dead = err instanceof ApiError && err.status === 404;
    container.replaceChildren(h('div', { class: 'panel signin' },
      h('h1', {}, dead ? 'This link no longer works' : 'Could not check your link'),
      h('p', { role: 'alert' }, dead
        ? 'It has expired, or it has been used already, or a newer link replaced it. Ask for a new one below, or ask whoever invited you to send a new invitation.'
        : problemOf(err)),
      h('button', { type: 'button', class: 'primary wide', onclick: () => onForgot() }, 'Get a new link')));
    return;
  }
  const invite = link.purpose === 'invite';
  const password = h('input', { type: 'password', id: 'new-password', name: 'new-password', autocomplete: 'new-password', required: true, minlength: 8, 'aria-describedby': 'password-rules' });
  const again = h('input', { type: 'password', id: 'repeat-password', name: 'repeat-password', autocomplete: 'new-password', required: true });
  const error = h('p', { class: 'error', role: 'alert', id: 'password-error' });
  const button = h('button', { type: 'submit', class: 'primary wide' }, invite ? 'Save password and sign in' : 'Save new password');

  async function submit(event) {
    event.preventDefault();
    error.textContent = '';
    if (password.value.length < 8) {
      error.textContent = 'Please use at least 8 characters.';
      password.focus();
      return;
    }
    if (password.value !== again.value) {
      error.textContent = 'The two passwords are not the same.';
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
        error.textContent = 'This link no longer works: it has been used or has expired. Ask for a new one.';
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
      h('h1', {}, invite ? 'Welcome! Choose your password' : 'Choose a new password'),
      h('p', { class: 'lead' }, `For ${link.email}. `, invite
        ? 'You will sign in with this address and password from now on.'
        : 'Saving it signs you out on every other device.'),
      h('form', { novalidate: true, onsubmit: submit, 'aria-describedby': 'password-error' },
        // For password managers: the account the new password belongs to.
        h('input', { type: 'email', name: 'username', autocomplete: 'username', value: link.email, hidden: true, readonly: true }),
        h('div', { class: 'field' }, h('label', { for: 'new-password' }, 'New password'), password,
          h('p', { class: 'muted', id: 'password-rules' }, 'At least 8 characters, and not easy to guess: a few uncommon words work well.')),
        h('div', { class: 'field' }, h('label', { for: 'repeat-password' }, 'Repeat the password'), again),
        error,
        button)),
  );
  password.focus();
}
