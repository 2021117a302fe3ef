// The users page: its buttons POST the action with the session's CSRF header,
// say what happened, then show the page again with the new state; the
// invitation form POSTs JSON and names the fields the server refused.
import { csrfToken } from "./hq.js";

const status = document.getElementById("users-status");

function say(text, problem) {
  status.textContent = text;
  status.classList.toggle("problem", Boolean(problem));
}

async function post(url, json) {
  const headers = { "X-CSRF-Token": csrfToken() };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
  });
}

async function reply(response) {
  try {
    return await response.json();
  } catch (_) {
    return {};
  }
}

function linkNotice(body) {
  // No mail server: HQ hands the link over itself (it is shown only now).
  return body.link ? ` No mail server is set up: send them this link yourself: ${body.link}` : "";
}

async function act(button) {
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  button.disabled = true;
  try {
    const response = await post(button.dataset.userAction);
    if (response.ok) {
      const extra = linkNotice(await reply(response));
      say(button.dataset.done + extra, false);
      if (!extra) window.location.reload();
      return;
    }
    const body = await reply(response);
    say(body.error ? `Not done: ${body.error}.` : `The server refused (${response.status}). Reload the page and try again.`, true);
  } catch (_) {
    say("No connection to the server; nothing was changed. Try again.", true);
  }
  button.disabled = false;
}

for (const button of document.querySelectorAll("button[data-user-action]")) {
  button.addEventListener("click", () => act(button));
  button.disabled = false;
}

const form = document.getElementById("invite-form");
if (form) {
  const submit = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const data = Object.fromEntries(new FormData(form));
    submit.disabled = true;
    try {
      const response = await post("/hq/users/invite", data);
      const body = await reply(response);
      if (response.ok) {
        say(`Invitation ${body.link ? "made" : "sent"} to ${body.email}.${linkNotice(body)}`, false);
        form.reset();
      } else {
        for (const name of Object.keys(body.fields ?? {})) {
          form.elements[name]?.setAttribute("aria-invalid", "true");
        }
        const fields = Object.entries(body.fields ?? {}).map(([k, v]) => `${k} ${v}`).join("; ");
        say(`Not sent: ${body.error ?? response.status}${fields ? ` (${fields})` : ""}.`, true);
      }
    } catch (_) {
      say("No connection to the server; nobody was invited. Try again.", true);
    }
    submit.disabled = false;
  });
  submit.disabled = false;
}

// A user's brands: the names typed, separated by semicolons (none: all brands).
for (const brandsForm of document.querySelectorAll("form[data-brands-url]")) {
  const save = brandsForm.querySelector("button[type=submit]");
  const input = brandsForm.elements.brands;
  brandsForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    input.removeAttribute("aria-invalid");
    save.disabled = true;
    try {
      const response = await post(brandsForm.dataset.brandsUrl, { brands: input.value });
      const body = await reply(response);
      if (response.ok) {
        input.value = body.brands.join("; ");
        say(brandsForm.dataset.done, false);
      } else {
        input.setAttribute("aria-invalid", "true");
        say(`Not saved: ${body.fields?.brands ?? body.error ?? response.status}.`, true);
      }
    } catch (_) {
      say("No connection to the server; nothing was changed. Try again.", true);
    }
    save.disabled = false;
  });
  save.disabled = false;
}
