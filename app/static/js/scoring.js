/* Scoring page (loaded only there; app.js does the per-field "Saving… / Saved / Not saved — Retry").
 *
 * - A page-level status sums up every field: "Saving…", "All changes saved", or
 *   "Some changes are not saved".
 * - Text typed but not yet sent (inside the 600 ms pause) counts as unsaved, so
 *   leaving the page warns instead of dropping it.
 * - Submit waits for saves still on their way and refuses while any save failed.
 * - A locked read (409) or a refused value (422) is announced with the server's own words.
 * Essay text is never logged or stored anywhere by this script.
 */
(function () {
  "use strict";

  var root = document.getElementById("scoring");
  if (!root) { return; }
  var pageStatus = root.querySelector("[data-page-save-status]");
  var submitForm = root.querySelector("form[data-submit-read]");
  var inFlight = 0;
  var failedForms = new Set();
  var typedForms = new Set();   // text changed, debounced save not yet sent
  var typedTimers = new Map();
  // Longer than the 600 ms pause in hx-trigger: if no save started by then, the text
  // came back to what was already saved (htmx's "changed" sent nothing).
  var TYPED_GRACE_MS = 1000;

  function formOf(elt) { return elt && elt.closest ? elt.closest("form[data-autosave]") : null; }

  function render() {
    if (!pageStatus) { return; }
    var state, text;
    if (failedForms.size) {
      state = "failed";
      text = "Some changes are not saved — see the fields marked “Not saved”.";
    } else if (inFlight || typedForms.size) {
      state = "saving";
      text = "Saving…";
    } else {
      state = "saved";
      text = "All changes saved";
    }
    pageStatus.dataset.state = state;
    pageStatus.textContent = text;
  }

  function announce(message) {
    if (window.EndorsementReview) { window.EndorsementReview.announce(message, false); }
  }

  root.addEventListener("input", function (evt) {
    var form = formOf(evt.target);
    if (evt.target.tagName !== "TEXTAREA" || !form) { return; }
    typedForms.add(form);
    window.clearTimeout(typedTimers.get(form));
    typedTimers.set(form, window.setTimeout(function () { typedForms.delete(form); render(); }, TYPED_GRACE_MS));
    render();
  });

  root.addEventListener("htmx:beforeRequest", function (evt) {
    inFlight += 1;
    typedForms.delete(formOf(evt.detail.elt));
    render();
  });

  root.addEventListener("htmx:afterRequest", function (evt) {
    inFlight = Math.max(0, inFlight - 1);
    var form = formOf(evt.detail.elt);
    if (evt.detail.successful) { failedForms.delete(form); } else if (form) { failedForms.add(form); }
    render();
  });

  // Runs before app.js's document-level listener, which then leaves these messages alone.
  root.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status === 409 || xhr.status === 422) {
      evt.detail.appHandled = true;
      announce(xhr.responseText || "That change was not saved.");
    }
  });

  window.addEventListener("beforeunload", function (evt) {
    if (typedForms.size) { evt.preventDefault(); evt.returnValue = ""; }
  });

  if (submitForm) {
    submitForm.addEventListener("submit", function (evt) {
      if (!inFlight && !typedForms.size && !failedForms.size) { return; }
      evt.preventDefault();
      if (failedForms.size) {
        announce("Some changes are not saved yet. Press Retry next to them, then submit again.");
        return;
      }
      var waited = 0;
      var timer = window.setInterval(function () {
        waited += 100;
        if (!inFlight && !typedForms.size) {
          window.clearInterval(timer);
          if (!failedForms.size) { submitForm.submit(); }
          else { announce("Some changes are not saved yet. Press Retry next to them, then submit again."); }
        } else if (waited >= 15000) {
          window.clearInterval(timer);
          announce("Your last changes are taking long to save. Check your connection, then submit again.");
        }
      }, 100);
    });
  }
}());
