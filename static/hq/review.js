// The review buttons of an audit page: approve, return (with a note, and notes
// on single items written under each answer) or reject (with the reason), and
// a 1-5 grade of the report with its note. A decision is first announced,
// naming the audit, with an Undo button for UNDO_SECONDS; only then is it sent
// (POST /api/audits/{uuid}/review with the session's CSRF header), and the
// page moves on to the next audit in the queue. Undo, or leaving the page in
// the meantime, sends nothing.
import { csrfToken } from "./hq.js";

const UNDO_SECONDS = 5;

const form = document.getElementById("review-form");
const status = document.getElementById("review-status");
const undo = document.getElementById("review-undo");

function say(text, problem) {
  status.textContent = text;
  status.classList.toggle("problem", Boolean(problem));
}

const WORDS = {
  approve: { doing: "Approving", done: "Approved", undone: "Not approved" },
  return: { doing: "Returning", done: "Returned to the auditor", undone: "Not returned" },
  reject: { doing: "Rejecting", done: "Rejected", undone: "Not rejected" },
};

function itemNoteFields() {
  return [...document.querySelectorAll("textarea[data-item-note]")];
}

/** The request body: what the form holds that goes with this decision. */
function reviewBody(decision) {
  const body = { decision, note: form.elements.note.value.trim() };
  if (decision !== "reject") {
    const grade = form.querySelector('input[name="grade"]:checked')?.value;
    if (grade) {
      body.grade = Number(grade);
      body.grade_note = form.elements.grade_note.value.trim();
    }
  }
  if (decision === "return") {
    const notes = {};
    for (const field of itemNoteFields()) {
      if (field.value.trim()) notes[field.dataset.itemNote] = field.value.trim();
    }
    if (Object.keys(notes).length) body.item_notes = notes;
  }
  return body;
}

async function send(decision, body) {
  const words = WORDS[decision];
  say(`${words.doing} the audit of ${form.dataset.audit}…`, false);
  try {
    const response = await fetch(`/api/audits/${encodeURIComponent(form.dataset.uuid)}/review`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body),
    });
    if (response.ok) {
      say(`${words.done}: ${form.dataset.audit}. Opening the next audit…`, false);
      window.location.assign(form.dataset.next || "/hq/review");
      return true;
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
  return false;
}

function decide(decision, buttons) {
  const body = reviewBody(decision);
  if (decision === "return" && !body.note && !body.item_notes) {
    say("Write a note telling the auditor what to correct, here or on an item.", true);
    form.elements.note.focus();
    return;
  }
  if (decision === "reject" && !body.note) {
    say("Write the reason the visit is rejected in the note to the auditor.", true);
    form.elements.note.focus();
    return;
  }
  const gradeNote = form.elements.grade_note.value.trim();
  if (decision !== "reject" && gradeNote && body.grade === undefined) {
    say("Choose a grade for the note on the grade, or clear the note.", true);
    return;
  }
  const words = WORDS[decision];
  const enable = (on) => {
    buttons.forEach((b) => { b.disabled = !on; });
    for (const field of [form.elements.note, form.elements.grade_note, ...itemNoteFields()]) {
      field.readOnly = !on;
    }
    form.querySelectorAll('input[name="grade"]').forEach((r) => { r.disabled = !on; });
  };
  enable(false);
  let left = UNDO_SECONDS;
  const announce = () => say(
    `${words.doing} the audit of ${form.dataset.audit} in ${left} s. Undo to keep it as it is.`,
    false,
  );
  announce();
  undo.hidden = false;
  undo.focus();
  const stop = () => {
    clearInterval(timer);
    undo.hidden = true;
    undo.onclick = null;
  };
  const timer = setInterval(async () => {
    left -= 1;
    if (left > 0) {
      announce();
      return;
    }
    stop();
    if (!(await send(decision, body))) enable(true);
  }, 1000);
  undo.onclick = () => {
    stop();
    enable(true);
    say(`${words.undone}: nothing was sent. The audit of ${form.dataset.audit} is still waiting.`, false);
    buttons[0].focus();
  };
}

if (form) {
  // The buttons come disabled: they work only once this module has bound them.
  const buttons = [...form.querySelectorAll("button[data-decision]")];
  for (const button of buttons) {
    button.addEventListener("click", () => decide(button.dataset.decision, buttons));
    button.disabled = false;
  }
}
