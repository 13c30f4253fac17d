// Backlink Outreach: progressive enhancement only. Every page works without this file;
// it adds confirmations, live progress and in-place updates. No inline script anywhere (CSP).
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// <form data-confirm="Delete this lead?">: ask before sending.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (form.dataset.inline !== undefined) {
    event.preventDefault();
    submitInline(form, event.submitter);
    return;
  }
  // One click, one send: a double click must not post twice.
  const button = event.submitter;
  if (button && form.method.toLowerCase() === "post") {
    window.setTimeout(() => { button.disabled = true; }, 0);
  }
});

// <form data-inline data-target="#preview">: send it in the background and put the answer
// (an HTML fragment) into the target, without a page reload.
async function submitInline(form, submitter) {
  const target = document.querySelector(form.dataset.target || "");
  const body = new FormData(form);
  if (submitter && submitter.name) body.append(submitter.name, submitter.value);
  const method = (form.getAttribute("method") || "get").toUpperCase();
  let url = form.action;
  const init = { method, headers: { "X-CSRF-Token": csrfToken(), "X-Fragment": "1" } };
  if (method === "GET") {
    url += (url.includes("?") ? "&" : "?") + new URLSearchParams(body).toString();
  } else {
    init.body = body;
  }
  if (submitter) submitter.disabled = true;
  try {
    const response = await fetch(url, init);
    const html = await response.text();
    if (target) {
      target.innerHTML = html;
      target.setAttribute("aria-busy", "false");
    }
  } catch (error) {
    if (target) target.textContent = "Could not reach the server. Try again.";
  } finally {
    if (submitter) submitter.disabled = false;
  }
}

// <div data-poll="/app/discovery/jobs/x/progress" data-interval="1000">: refresh the element
// from a fragment URL until the server says it is done (X-Poll-Done: 1).
function startPolling(element) {
  const url = element.dataset.poll;
  const interval = Number(element.dataset.interval || 1000);
  const tick = async () => {
    try {
      const response = await fetch(url, { headers: { "X-Fragment": "1" } });
      if (response.ok) {
        element.innerHTML = await response.text();
        if (response.headers.get("X-Poll-Done") === "1") {
          element.removeAttribute("aria-busy");
          element.dispatchEvent(new CustomEvent("poll-done", { bubbles: true }));
          return;
        }
      }
    } catch (error) {
      // The next tick tries again: a worker restart or a blip must not stop the page.
    }
    window.setTimeout(tick, interval);
  };
  window.setTimeout(tick, interval);
}

// <input type="checkbox" data-check-all="lead_ids">: ticks every box of that name.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.checkAll) return;
  const form = box.form || document;
  form.querySelectorAll(`input[type=checkbox][name="${box.dataset.checkAll}"]`).forEach((other) => {
    other.checked = box.checked;
  });
});

// <select data-autosubmit>: filters apply as soon as they change.
document.addEventListener("change", (event) => {
  const control = event.target;
  if (control instanceof HTMLSelectElement && control.dataset.autosubmit !== undefined && control.form) {
    control.form.requestSubmit();
  }
});

document.querySelectorAll("[data-poll]").forEach(startPolling);

// Lead, compose, inbox and placement screens:
// <button formaction="/app/compose/preview" data-inline-target="#preview">: this one button
// sends its form in the background and puts the HTML fragment answer into the target; the
// form's other buttons post as usual. (Capture phase: it runs before the form-level handler.)
document.addEventListener("submit", async (event) => {
  const button = event.submitter;
  const form = event.target;
  if (!(button instanceof HTMLButtonElement) || !(form instanceof HTMLFormElement)) return;
  if (!button.dataset.inlineTarget) return;
  const target = document.querySelector(button.dataset.inlineTarget);
  if (!target) return;
  event.preventDefault();
  event.stopPropagation();
  const body = new FormData(form);
  target.setAttribute("aria-busy", "true");
  button.disabled = true;
  try {
    const response = await fetch(button.formAction, {
      method: "POST",
      body,
      headers: { "X-CSRF-Token": csrfToken(), "X-Fragment": "1" },
    });
    target.innerHTML = await response.text();
  } catch (error) {
    target.textContent = "Could not reach the server. Try again.";
  } finally {
    target.setAttribute("aria-busy", "false");
    button.disabled = false;
  }
}, true);
