// The decision form of an appeal page: POST /api/appeals/{uuid}/decision with
// the session's CSRF header and the audit's revision in If-Match, so a page
// overtaken by another decision is refused (412) instead of re-scoring what
// HQ did not see. On success the page reloads and shows the decision.
import { csrfToken } from "./hq.js";

const form = document.getElementById("appeal-form");
const status = document.getElementById("appeal-status");

function say(text, problem) {
  status.textContent = text;
  status.classList.toggle("problem", Boolean(problem));
}

function chosenAnswer() {
  const picked = form.querySelector('input[name="answer"]:checked');
  if (picked?.value === "na") return { na: true };
  if (picked) return { value: JSON.parse(picked.value) };
  const number = form.elements.answer_number;
  if (number && number.value.trim() !== "") return { value: Number(number.value) };
  return undefined;
}

function syncAnswer() {
  const rejected = form.elements.decision.value === "rejected";
  document.getElementById("answer-choice").disabled = rejected;
}

async function decide(event) {
  event.preventDefault();
  const decision = form.elements.decision.value;
  const body = { decision, note: form.elements.note.value.trim() };
  if (decision !== "rejected") {
    const answer = chosenAnswer();
    if (answer !== undefined) body.answer = answer;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  say("Recording the decision…", false);
  try {
    const response = await fetch(`/api/appeals/${encodeURIComponent(form.dataset.uuid)}/decision`, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": csrfToken(),
        "If-Match": `"r${form.dataset.revision}"`,
      },
      body: JSON.stringify(body),
    });
    if (response.ok) {
      say("Decision recorded.", false);
      window.location.reload();
      return;
    }
    const problem = await response.json().catch(() => ({}));
    const fields = Object.values(problem.fields ?? {}).join("; ");
    if (response.status === 412) {
      say("Another decision changed this audit meanwhile. Reload the page to see its scores, then decide.", true);
    } else {
      say(`${problem.error ?? `The server answered ${response.status}`}${fields ? `: ${fields}` : ""}`, true);
    }
  } catch {
    say("No connection to the server: nothing was recorded. Try again.", true);
  }
  button.disabled = false;
}

if (form) {
  form.addEventListener("submit", decide);
  form.addEventListener("change", syncAnswer);
  syncAnswer();
  form.querySelector('button[type="submit"]').disabled = false;
}
