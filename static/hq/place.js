// A location's place on its HQ page: PUT /api/locations/{code}/place with the
// session's CSRF header; the server checks every field and names the bad ones.
import { csrfToken } from "./hq.js";

function number(text) {
  const trimmed = text.trim().replace(",", ".");
  if (!trimmed) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed; // a word goes to the server, which names it
}

async function save(form, button) {
  const status = form.querySelector(".place-status");
  status.classList.remove("problem");
  const hoursText = form.elements.hours.value.trim();
  let hours = null;
  if (hoursText) {
    try {
      hours = JSON.parse(hoursText);
    } catch (_) {
      status.textContent = 'Opening hours: not JSON; write it like {"mon": [["09:00", "18:00"]]}.';
      status.classList.add("problem");
      form.elements.hours.focus();
      return;
    }
  }
  const body = {
    latitude: number(form.elements.latitude.value),
    longitude: number(form.elements.longitude.value),
    timezone: form.elements.timezone.value.trim() || null,
    hours,
  };
  button.disabled = true;
  status.textContent = "Saving…";
  try {
    const response = await fetch(`/api/locations/${encodeURIComponent(form.dataset.code)}/place`, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body),
    });
    if (response.ok) {
      status.textContent = "Saved. New check-ins are measured against it.";
    } else {
      let message = `The server refused (${response.status}).`;
      try {
        const problem = await response.json();
        const fields = Object.entries(problem.fields || {}).map(([k, v]) => `${k}: ${v}`);
        message = [problem.error, ...fields].filter(Boolean).join(" · ");
      } catch (_) { /* not JSON: keep the status line */ }
      status.textContent = message;
      status.classList.add("problem");
    }
  } catch (_) {
    status.textContent = "No connection to the server; nothing was changed. Try again.";
    status.classList.add("problem");
  }
  button.disabled = false;
}

for (const form of document.querySelectorAll("form.place-form")) {
  const button = form.querySelector("button[data-place-save]");
  button.addEventListener("click", () => save(form, button));
  button.disabled = false; // disabled in the HTML: it works only once this module has bound it
}
