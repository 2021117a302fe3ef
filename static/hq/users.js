// The buttons of the users page: POST the action with the session's CSRF
// header, say what happened, then show the page again with the new state.
import { csrfToken } from "./hq.js";

const status = document.getElementById("users-status");

function say(text, problem) {
  status.textContent = text;
  status.classList.toggle("problem", Boolean(problem));
}

async function act(button) {
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  button.disabled = true;
  try {
    const response = await fetch(button.dataset.userAction, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken() },
    });
    if (response.ok) {
      say(button.dataset.done, false);
      window.location.reload();
      return;
    }
    say(`The server refused (${response.status}). Reload the page and try again.`, true);
  } catch (_) {
    say("No connection to the server; nothing was changed. Try again.", true);
  }
  button.disabled = false;
}

// The buttons come disabled: they work only once this module has bound them.
for (const button of document.querySelectorAll("button[data-user-action]")) {
  button.addEventListener("click", () => act(button));
  button.disabled = false;
}
