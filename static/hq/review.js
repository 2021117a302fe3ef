// The review buttons of an audit page: POST /api/audits/{uuid}/review with the
// session's CSRF header, then on to the next audit in the queue.
import { csrfToken } from "./hq.js";

const form = document.getElementById("review-form");
const status = document.getElementById("review-status");

function say(text, problem) {
  status.textContent = text;
  status.classList.toggle("problem", Boolean(problem));
}

async function decide(decision, buttons) {
  const note = form.elements.note.value.trim();
  if (decision === "return" && !note) {
    say("Write a note telling the auditor what to correct.", true);
    form.elements.note.focus();
    return;
  }
  buttons.forEach((b) => { b.disabled = true; });
  say(decision === "approve" ? "Approving…" : "Returning…", false);
  try {
    const response = await fetch(`/api/audits/${encodeURIComponent(form.dataset.uuid)}/review`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ decision, note }),
    });
    if (response.ok) {
      say(decision === "approve" ? "Approved. Opening the next audit…" : "Returned to the auditor. Opening the next audit…", false);
      window.location.assign(form.dataset.next || "/hq/review");
      return;
    }
    let message = `The server refused (${response.status}).`;
    try {
      const body = await response.json();
      const fields = Object.values(body.fields || {});
      message = [body.error, ...fields].filter(Boolean).join(": ");
    } catch (_) { /* not JSON: keep the status line */ }
    say(message, true);
  } catch (_) {
    say("No connection to the server; nothing was changed. Try again.", true);
  }
  buttons.forEach((b) => { b.disabled = false; });
}

if (form) {
  // The buttons come disabled: they work only once this module has bound them.
  const buttons = [...form.querySelectorAll("button[data-decision]")];
  for (const button of buttons) {
    button.addEventListener("click", () => decide(button.dataset.decision, buttons));
    button.disabled = false;
  }
}
