// HQ pages: sign out, and filters that apply as soon as they change.
// Everything works without this file except signing out (a DELETE needs fetch).

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function signOut() {
  const button = document.getElementById("sign-out");
  if (!button) return;
  button.disabled = false; // disabled in the HTML until this handler exists
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await fetch("/api/session", {
        method: "DELETE",
        headers: { "X-CSRF-Token": csrfToken() },
        credentials: "same-origin",
      });
    } finally {
      window.location.assign("/");
    }
  });
}

function autosubmit() {
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    form.addEventListener("change", (event) => {
      const field = event.target;
      if (!(field instanceof HTMLSelectElement)) return; // dates and text wait for Apply
      const resets = field.dataset.resets;
      if (resets && form.elements[resets]) form.elements[resets].value = "";
      form.requestSubmit();
    });
    // Empty fields stay in the URL on purpose: an empty "from" means all time.
  }
}

signOut();
autosubmit();
