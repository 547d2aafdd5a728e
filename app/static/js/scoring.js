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
 * - Text typed here is mirrored to sessionStorage until the server has stored it, and put back
 *   (and saved) when the page loads again: a reload, a crash or an expired session loses nothing.
 *   Only the reviewer's own unsaved comments are kept there, per tab, and removed once saved.
 * - The bar at the top (#score-nav) and the summary before Submit (#review) show each section's
 *   current mark; "Hide descriptors" shows the levels in one row, remembered in localStorage.
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

  /* ---- unsaved text mirrored to sessionStorage ---- */

  var assignment = root.dataset.assignment;
  var MIRROR_PREFIX = "endorsement.unsaved." + assignment + ".";
  var sentText = new Map();   // form -> {textarea id: text} of the save on its way

  function mirrorKey(field) { return MIRROR_PREFIX + field.id; }

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }  // disabled storage: the page still works
  }

  function versionOf(form) {
    var input = form && form.querySelector("input[name='base_version']");
    return input ? input.value : "0";
  }

  function mirror(field) {
    var store = storage();
    var form = formOf(field);
    if (!store || !form || field.readOnly) { return; }
    try {
      store.setItem(mirrorKey(field), JSON.stringify({ text: field.value, version: versionOf(form) }));
    } catch (e) { /* storage full: the beforeunload warning still protects the text */ }
  }

  function readMirror(field) {
    var store = storage();
    if (!store) { return null; }
    try { return JSON.parse(store.getItem(mirrorKey(field)) || "null"); } catch (e) { return null; }
  }

  root.addEventListener("input", function (evt) {
    if (evt.target.tagName === "TEXTAREA") { mirror(evt.target); }
  });

  root.addEventListener("htmx:configRequest", function (evt) {
    var form = formOf(evt.detail.elt);
    if (!form) { return; }
    var sent = {};
    form.querySelectorAll("textarea").forEach(function (field) { sent[field.id] = field.value; });
    sentText.set(form, sent);
  });

  // Once stored, a mirror that holds what was sent goes; text typed while the save was on its way stays,
  // now based on the version just stored.
  root.addEventListener("htmx:afterRequest", function (evt) {
    var form = formOf(evt.detail.elt);
    var store = storage();
    if (!form || !store || !evt.detail.successful) { return; }
    var sent = sentText.get(form) || {};
    form.querySelectorAll("textarea").forEach(function (field) {
      var kept = readMirror(field);
      if (!kept) { return; }
      if (kept.text === sent[field.id]) { store.removeItem(mirrorKey(field)); }
      else { mirror(field); }
    });
  });

  function restoreMirrors() {
    var restored = [];
    root.querySelectorAll("form[data-autosave] textarea").forEach(function (field) {
      var kept = readMirror(field);
      if (!kept) { return; }
      if (field.readOnly || kept.text === field.value) { storage().removeItem(mirrorKey(field)); return; }
      var form = formOf(field);
      field.value = kept.text;
      // Saved against the version it was typed over: if another window changed the field since,
      // the conflict choice appears instead of an overwrite.
      var version = form.querySelector("input[name='base_version']");
      if (version) { version.value = kept.version; }
      restored.push(field);
    });
    restored.forEach(function (field) { htmx.trigger(field, "change"); });
    var notice = root.querySelector("[data-restored-notice]");
    if (restored.length && notice) {
      var names = restored.map(function (field) { return field.labels[0] ? field.labels[0].textContent.trim() : field.name; });
      notice.textContent = "Put back what you had typed before the page reloaded (" + names.join("; ") +
        "). It is saved like any other change.";
      notice.hidden = false;
    }
  }

  /* ---- the section bar and the summary follow the marks ---- */

  function showMark(input) {
    var form = formOf(input);
    if (!form || !form.id) { return; }
    var done = input.checked;
    root.querySelectorAll("[data-nav-for='" + form.id + "'], [data-summary-for='" + form.id + "']")
      .forEach(function (elt) {
        elt.dataset.state = done ? "done" : "open";
        var value = elt.querySelector("[data-value]");
        if (value) { value.textContent = elt.hasAttribute("data-nav-for") ? input.dataset.short : input.dataset.long; }
        var hidden = elt.querySelector(".visually-hidden");
        if (hidden) { hidden.textContent = ""; }
      });
  }

  root.addEventListener("change", function (evt) {
    if (evt.target.type === "radio" && evt.target.checked && evt.target.dataset.short) { showMark(evt.target); }
  });

  root.addEventListener("input", function (evt) {
    var form = formOf(evt.target);
    var cell = form && evt.target.tagName === "TEXTAREA" &&
      root.querySelector("[data-summary-for='" + form.id + "'] [data-comment]");
    if (!cell) { return; }
    var written = Array.prototype.some.call(form.querySelectorAll("textarea"), function (field) {
      return field.value.trim() !== "";
    });
    cell.textContent = written ? (form.classList.contains("requirement") ? "Note" : "Comment") : "–";
  });

  /* ---- descriptors shown or hidden, remembered ---- */

  var DESCRIPTORS_KEY = "endorsement.descriptors";
  var toggle = root.querySelector("[data-descriptors-toggle]");

  function showDescriptors(shown) {
    root.classList.toggle("scoring--compact", !shown);
    if (toggle) {
      toggle.setAttribute("aria-pressed", shown ? "false" : "true");
      toggle.textContent = shown ? "Hide descriptors" : "Show descriptors";
    }
  }

  function savedDescriptorChoice() {
    try { return window.localStorage.getItem(DESCRIPTORS_KEY); } catch (e) { return null; }
  }

  if (toggle) {
    toggle.hidden = false;
    showDescriptors(savedDescriptorChoice() !== "hidden");
    toggle.addEventListener("click", function () {
      var shown = root.classList.contains("scoring--compact");
      showDescriptors(shown);
      try { window.localStorage.setItem(DESCRIPTORS_KEY, shown ? "shown" : "hidden"); } catch (e) { /* not kept */ }
    });
  }

  // A refused submit lists what is open: focus goes there, so a keyboard or screen-reader user hears it first.
  var refused = root.querySelector("#submit-problems");
  if (refused) { refused.focus(); }

  // After htmx has wired the fields (its own DOMContentLoaded listener was added first, so it runs first).
  if (document.readyState === "complete") { restoreMirrors(); }
  else { document.addEventListener("DOMContentLoaded", restoreMirrors); }

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
