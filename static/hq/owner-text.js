// The owner's copy of a comment or text answer on an audit page:
// PUT /api/audits/{uuid}/owner-text/{item} with the session's CSRF header,
// then the page again, so the highlights and the released state are the server's.
import { csrfToken } from "./hq.js";

async function save(form, button) {
  const status = form.querySelector(".owner-text-status");
  button.disabled = true;
  status.textContent = "Saving…";
  status.classList.remove("problem");
  const text = form.elements.text.value;
  const body = { field: form.dataset.field, text, cleared: form.elements.cleared.checked };
  try {
    const response = await fetch(
      `/api/audits/${encodeURIComponent(form.dataset.uuid)}/owner-text/${encodeURIComponent(form.dataset.item)}`,
      {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify(body),
      },
    );
    if (response.ok) {
      status.textContent = "Saved.";
      window.location.reload();
      return;
    }
    let message = `The server refused (${response.status}).`;
    try {
      const problem = await response.json();
      message = [problem.error, ...Object.values(problem.fields || {})].filter(Boolean).join(": ");
    } catch (_) { /* not JSON: keep the status line */ }
    status.textContent = message;
    status.classList.add("problem");
  } catch (_) {
    status.textContent = "No connection to the server; nothing was changed. Try again.";
    status.classList.add("problem");
  }
  button.disabled = false;
}

for (const form of document.querySelectorAll("form.owner-text-form")) {
  const button = form.querySelector("button[data-owner-text-save]");
  button.addEventListener("click", () => save(form, button));
  // Disabled in the HTML: it works only once this module has bound it.
  button.disabled = false;
}
