// The programme pages: the new-wave form and "give this visit to a shopper".
// Both post JSON to the API with the session's CSRF header; the server checks
// everything and names each bad field (and each bad row of a CSV file).
import { csrfToken } from "./hq.js";

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  return { response, data };
}

// ---- New wave

const LABELS = {
  name: "Name",
  checklist: "Checklist",
  version: "Version",
  locations: "Locations",
  region: "Region",
  locations_csv: "CSV file",
  from: "From",
  to: "To",
  visits: "Visits per location",
  release_days: "Give back until",
  coverage: "Coverage",
  "coverage.days": "Coverage",
  "coverage.dayparts": "Coverage",
  notes: "Instructions",
};

async function waveRequest(form) {
  const data = new FormData(form);
  const [checklist, version] = String(data.get("checklist_version")).split(":");
  const body = {
    name: String(data.get("name") || "").trim(),
    checklist,
    version: Number(version),
    from: data.get("from"),
    to: data.get("to"),
    visits: Number(data.get("visits")),
    release_days: Number(data.get("release_days")),
    coverage: { days: data.getAll("days"), dayparts: data.getAll("dayparts") },
    allow_repeat: data.get("allow_repeat") === "on",
    notes: String(data.get("notes") || ""),
  };
  const where = data.get("where");
  if (where === "region") body.region = data.get("region");
  else if (where === "list") {
    body.locations = String(data.get("codes") || "").split(/[\s,;]+/).filter(Boolean);
  } else if (where === "csv") {
    const file = form.elements.csv.files[0];
    body.locations_csv = file ? await file.text() : "";
  } else body.locations = "all";
  return body;
}

function showProblems(form, data) {
  const box = document.getElementById("wave-problems");
  for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const fields = (data && data.fields) || {};
  const items = [];
  for (const [name, message] of Object.entries(fields)) {
    const slot = document.getElementById(`e-${name}`);
    if (slot) slot.textContent = message;
    items.push(`${LABELS[name] || name}: ${message}`);
  }
  const rows = document.getElementById("csv-rows");
  const bad = (data && data.rows) || [];
  rows.replaceChildren(
    ...bad.map((row) => {
      const li = document.createElement("li");
      li.textContent = `Line ${row.line}: ${row.message}`;
      return li;
    }),
  );
  rows.hidden = bad.length === 0;
  box.replaceChildren();
  const title = document.createElement("p");
  title.textContent = "The wave was not created (nothing was stored). Please correct:";
  box.append(title);
  if (items.length) {
    const list = document.createElement("ul");
    for (const text of items) {
      const li = document.createElement("li");
      li.textContent = text;
      list.append(li);
    }
    box.append(list);
  }
  box.hidden = false;
  box.focus();
}

function bindWaveForm() {
  const form = document.getElementById("wave-form");
  if (!form) return;
  const button = document.getElementById("wave-create");
  const status = document.getElementById("wave-status");
  // Picking a region, typing codes or choosing a file selects its option.
  for (const [id, option] of [["w-region", "w-loc-region"], ["w-codes", "w-loc-list"], ["w-csv", "w-loc-csv"]]) {
    const field = document.getElementById(id);
    field.addEventListener("input", () => { document.getElementById(option).checked = true; });
    field.addEventListener("change", () => { document.getElementById(option).checked = true; });
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.textContent = "Creating the wave and its visits…";
    try {
      const { response, data } = await postJson("/api/waves", await waveRequest(form));
      if (response.status === 201 && data) {
        window.location.assign(`/hq/waves/${data.id}`);
        return;
      }
      status.textContent = "";
      showProblems(form, data);
    } catch (_) {
      status.textContent = "No connection to the server; nothing was created. Try again.";
    }
    button.disabled = false;
  });
  button.disabled = false;
}

// ---- Give a visit to a shopper

function bindAssignForms() {
  const status = document.getElementById("assign-status");
  for (const form of document.querySelectorAll("form[data-assign]")) {
    const button = form.querySelector("button");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const email = form.elements.auditor.value.trim();
      button.disabled = true;
      try {
        const { response, data } = await postJson(form.dataset.assign, { auditor: email || null });
        if (response.ok) {
          status.textContent = email ? `Given to ${email}.` : "Back on the job board.";
          status.classList.remove("problem");
          window.location.reload();
          return;
        }
        const fields = (data && data.fields) || {};
        status.textContent = fields.auditor || (data && data.error) || `The server refused (${response.status}).`;
        status.classList.add("problem");
      } catch (_) {
        status.textContent = "No connection to the server; nothing was changed. Try again.";
        status.classList.add("problem");
      }
      button.disabled = false;
    });
    button.disabled = false;
  }
}

bindWaveForm();
bindAssignForms();
