/* Scoring page (loaded only there; app.js does the per-field "Saving… / Saved / Not saved — Retry").
 *
 * - A page-level status sums up every field: "Saving…", "All changes saved", or
 *   "Some changes are not saved".
 * - Text typed but not yet sent (inside the 600 ms pause) counts as unsaved, so
 *   leaving the page warns instead of dropping it.
 * - Submit waits for saves still on their way and refuses while any save failed or
 *   any field is in conflict.
 * - A field changed in another window since this page loaded it (409, X-Save-Outcome:
 *   conflict) keeps what was typed here and says what the other window stored, with
 *   "Save mine" (store this text over it) and "Load theirs" (show theirs instead);
 *   until then that field sends nothing.
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
  var conflictForms = new Set();   // changed in another window: waiting for the reviewer's choice
  var typedForms = new Set();   // text changed, debounced save not yet sent
  var typedTimers = new Map();
  // Longer than the 600 ms pause in hx-trigger: if no save started by then, the text
  // came back to what was already saved (htmx's "changed" sent nothing).
  var TYPED_GRACE_MS = 1000;

  function formOf(elt) { return elt && elt.closest ? elt.closest("form[data-autosave]") : null; }

  function render() {
    if (!pageStatus) { return; }
    var state, text;
    if (conflictForms.size) {
      state = "conflict";
      text = "Some fields were changed in another window — choose which version to keep where marked.";
    } else if (failedForms.size) {
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
    var outcome = evt.detail.xhr && evt.detail.xhr.getResponseHeader("X-Save-Outcome");
    if (evt.detail.successful || outcome === "superseded") {
      failedForms.delete(form);
      if (evt.detail.successful) { conflictForms.delete(form); }
    } else if (form && outcome !== "conflict") {
      failedForms.add(form);
    }
    render();
  });

  function setVersion(form, version) {
    var input = form.querySelector("input[name='base_version']");
    if (input) { input.value = String(version); }
  }

  function loadTheirs(form, theirs) {
    Object.keys(theirs).forEach(function (name) {
      form.querySelectorAll("[name='" + name + "']").forEach(function (field) {
        if (field.type === "radio") { field.checked = field.value === theirs[name]; }
        else { field.value = theirs[name]; }
      });
    });
  }

  function quietButton(label, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--quiet";
    button.textContent = label;
    button.addEventListener("click", onClick);
    return button;
  }

  function showConflict(form, conflict) {
    var box = form.querySelector("[data-save-status]");
    if (!box) { return; }
    conflictForms.add(form);
    failedForms.delete(form);
    box.dataset.state = "conflict";
    box.replaceChildren();
    var text = document.createElement("span");
    text.textContent = "Changed in another window — your text is kept here. Saved there: " + conflict.summary + ". ";
    box.appendChild(text);
    box.appendChild(quietButton("Save mine", function () {
      setVersion(form, conflict.version);
      conflictForms.delete(form);
      htmx.trigger(form.querySelector("textarea"), "change");
    }));
    box.appendChild(document.createTextNode(" "));
    box.appendChild(quietButton("Load theirs", function () {
      loadTheirs(form, conflict.theirs);
      setVersion(form, conflict.version);
      conflictForms.delete(form);
      window.EndorsementReview.setSaveState(form, "saved");
      render();
    }));
    render();
    announce("A field was changed in another window. Your text is kept; choose “Save mine” or “Load theirs”.");
  }

  // A field in conflict sends nothing (a blur would re-send the same stale save) until the reviewer chooses.
  root.addEventListener("htmx:confirm", function (evt) {
    if (conflictForms.has(formOf(evt.detail.elt))) { evt.preventDefault(); }
  });

  // Runs before app.js's document-level listener, which then leaves these messages alone.
  root.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    var outcome = xhr.getResponseHeader("X-Save-Outcome");
    if (outcome === "conflict" || outcome === "superseded") {
      evt.detail.appHandled = true;
      if (outcome === "conflict") { showConflict(formOf(evt.detail.elt), JSON.parse(xhr.responseText)); }
      return;
    }
    if (xhr.status === 409 || xhr.status === 422) {
      evt.detail.appHandled = true;
      announce(xhr.responseText || "That change was not saved.");
    }
  });

  window.addEventListener("beforeunload", function (evt) {
    if (typedForms.size || conflictForms.size) { evt.preventDefault(); evt.returnValue = ""; }
  });

  if (submitForm) {
    submitForm.addEventListener("submit", function (evt) {
      if (!inFlight && !typedForms.size && !failedForms.size && !conflictForms.size) { return; }
      evt.preventDefault();
      if (conflictForms.size) {
        announce("Some fields were changed in another window. Choose “Save mine” or “Load theirs” there first.");
        return;
      }
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
