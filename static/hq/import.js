// The import page: upload the chosen file (its bytes as the body, with the CSRF
// header) and open its preview; then apply exactly that preview.
import { csrfToken } from "./hq.js";

const status = document.getElementById("import-status");

function say(text, problem) {
  status.textContent = text;
  status.classList.toggle("problem", Boolean(problem));
}

async function reply(response) {
  try {
    return await response.json();
  } catch (_) {
    return {};
  }
}

const form = document.getElementById("upload-form");
const preview = form.querySelector("button[type=submit]");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = form.elements.file.files[0];
  if (!file) {
    say("Choose a file first.", true);
    return;
  }
  preview.disabled = true;
  say(`Uploading ${file.name}…`, false);
  try {
    const query = new URLSearchParams({ kind: form.elements.kind.value, name: file.name });
    const response = await fetch(`/hq/import?${query}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken(), "Content-Type": "application/octet-stream" },
      body: file,
    });
    const body = await reply(response);
    if (response.ok) {
      window.location.assign(body.url);
      return;
    }
    say(`Not uploaded: ${body.error ?? response.status}.`, true);
  } catch (_) {
    say("No connection to the server; nothing was uploaded. Try again.", true);
  }
  preview.disabled = false;
});
preview.disabled = false;

const apply = document.getElementById("apply-import");
if (apply) {
  apply.addEventListener("click", async () => {
    apply.disabled = true;
    say("Applying…", false);
    try {
      const response = await fetch(apply.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrfToken(), "Content-Type": "application/json" },
        body: JSON.stringify({ plan: apply.dataset.plan }),
      });
      const body = await reply(response);
      if (response.ok) {
        const invited = body.invited ? ` ${body.invited} invitation${body.invited === 1 ? "" : "s"} on the way.` : "";
        say(`Imported: ${body.summary}.${invited}`, false);
        apply.remove();
        return;
      }
      say(response.status === 409
        ? "The data changed since this preview: reload the page to see the new preview, then apply again."
        : `Nothing imported: ${body.error ?? response.status}.`, true);
    } catch (_) {
      say("No connection to the server; nothing was imported. Try again.", true);
    }
    apply.disabled = false;
  });
  apply.disabled = false;
}
