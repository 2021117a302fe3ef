// HQ's integration pages: make a token or a webhook (its secret is shown once,
// here, in the answer), and the buttons of the lists (revoke, test, switch,
// delete, re-send). Everything posts JSON with the session's CSRF header.
import { csrfToken } from "./hq.js";

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken(), "Content-Type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null; // 204, or not JSON
  }
  return { response, data };
}

function say(element, text, problem) {
  if (!element) return;
  element.textContent = text;
  element.classList.toggle("problem", Boolean(problem));
}

function formBody(form) {
  const body = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    if (field.type === "checkbox") {
      body[field.name] = body[field.name] || [];
      if (field.checked) body[field.name].push(field.value);
    } else if (field.type === "radio") {
      if (field.checked) body[field.name] = field.value;
    } else if (field.value.trim() !== "" || field.name === "name" || field.name === "url") {
      body[field.name] = field.value.trim();
    }
  }
  return body;
}

function showProblems(form, fields) {
  for (const slot of form.querySelectorAll("[data-problem]")) {
    slot.textContent = fields[slot.dataset.problem] || "";
  }
  const first = Object.keys(fields)[0];
  const field = first && form.elements[first];
  if (field && typeof field.focus === "function") field.focus();
  else if (field && field[0]) field[0].focus();
}

function bindCreate(form) {
  const panel = form.closest("section");
  const status = panel.querySelector(".form-status");
  const reveal = panel.querySelector(".reveal");
  const button = form.querySelector('button[type="submit"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    showProblems(form, {});
    say(status, "", false);
    try {
      const { response, data } = await post(form.dataset.create, formBody(form));
      if (response.status === 201 && data) {
        form.hidden = true;
        reveal.querySelector("[data-secret]").textContent = data[form.dataset.reveal];
        reveal.hidden = false;
        reveal.querySelector("[data-copy]").focus();
        return;
      }
      if (data && data.fields) showProblems(form, data.fields);
      say(status, (data && data.error) || `The server refused (${response.status}).`, true);
    } catch (_) {
      say(status, "No connection to the server; nothing was made. Try again.", true);
    }
    button.disabled = false;
  });
  const copy = reveal.querySelector("[data-copy]");
  copy.addEventListener("click", async () => {
    const text = reveal.querySelector("[data-secret]").textContent;
    try {
      await navigator.clipboard.writeText(text);
      copy.textContent = "Copied";
    } catch (_) {
      // No clipboard (plain http): select it for Ctrl+C instead.
      const range = document.createRange();
      range.selectNodeContents(reveal.querySelector("[data-secret]"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      copy.textContent = "Selected: press Ctrl+C";
    }
  });
  button.disabled = false;
}

const actionStatus = document.getElementById("action-status");

async function act(button) {
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  button.disabled = true;
  try {
    const body = button.dataset.body ? JSON.parse(button.dataset.body) : {};
    const { response, data } = await post(button.dataset.post, body);
    if (response.ok) {
      say(actionStatus, button.dataset.done, false);
      window.setTimeout(() => window.location.reload(), 600);
      return;
    }
    say(actionStatus, (data && data.error) || `The server refused (${response.status}).`, true);
  } catch (_) {
    say(actionStatus, "No connection to the server; nothing was changed. Try again.", true);
  }
  button.disabled = false;
}

for (const form of document.querySelectorAll("form[data-create]")) bindCreate(form);
// The buttons come disabled: they work only once this module has bound them.
for (const button of document.querySelectorAll("button[data-post]")) {
  button.addEventListener("click", () => act(button));
  button.disabled = false;
}
