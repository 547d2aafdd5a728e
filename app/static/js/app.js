/* Endorsement Review — the only script of our own (CSP: no inline script anywhere).
 *
 * 1. Failed htmx requests are never silent: the status region under the header says
 *    what happened (expired session, lost connection, no access, server error).
 * 2. An expired session or CSRF token does not lose work: after signing in again in
 *    another tab, "Retry" fetches a fresh token and re-sends what failed, read from
 *    the fields as they are now. A 503 (the database went away for a moment, e.g. a
 *    restart) is retried by itself after the answer's Retry-After, a few times, and
 *    offers Retry meanwhile (docs/security-hardening.md, "When the database goes away").
 * 3. Autosave helpers for pages that save field by field (the scoring page):
 *    - an element with `data-autosave` is a save region; the `[data-save-status]`
 *      element inside it shows "Saving…", "Saved" or "Not saved — Retry" for
 *      requests sent from within the region;
 *    - a form with `data-seq-field="seq"` adds this window's save number (1, 2, 3… over
 *      the whole page) to every request sent from inside it, so the server can tell a
 *      late, older save or a retry from a new one;
 *    - a form with `data-version-field="base_version"` holds the field version this
 *      window last saw in that input; a stored save's `X-Save-Version` answer raises it;
 *    - `X-Save-Outcome` says what became of a save: "saved"; "superseded" (a newer save
 *      of this window was stored first: nothing to show); "conflict" (the field was
 *      changed in another window: the page's own script shows it and what to do).
 *    A page that handles an error itself sets `event.detail.appHandled = true`
 *    in its own htmx:responseError listener (on an element, so it runs first).
 * 4. A `.table-wrap` whose table is wider than the window becomes a focusable, named
 *    region, so it can be scrolled sideways from the keyboard (docs/pages.md).
 * 5. An element marked `data-focus-on-load` (an outcome the page leads with) takes the focus.
 */
(function () {
  "use strict";

  var CSRF_ERROR_HEADER = "X-Endorsement-Error";
  var TOKEN_URL = "/account/token";
  var failed = [];           // requests to re-send on Retry: {elt, verb, path}
  var pendingByRegion = new Map();
  var SAVE_OUTCOME = "X-Save-Outcome";
  var SAVE_VERSION = "X-Save-Version";
  var saveNumber = 0;        // this window's saves, numbered over the whole page
  var AUTO_RETRIES = 6;      // retries after a 503 without a click: about half a minute at Retry-After: 5
  var autoRetriesLeft = AUTO_RETRIES;
  var autoRetryTimer = null;

  function statusRegion() { return document.getElementById("app-status"); }

  function announce(message, withRetry) {
    var region = statusRegion();
    if (!region) { return; }
    region.replaceChildren();
    var text = document.createElement("span");
    text.textContent = message;
    region.appendChild(text);
    if (withRetry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--quiet";
      button.textContent = "Retry";
      button.addEventListener("click", retryFailed);
      region.appendChild(button);
    }
    region.hidden = false;
  }

  function clearAnnouncement() {
    var region = statusRegion();
    if (region) { region.hidden = true; region.replaceChildren(); }
  }

  function messageFor(xhr) {
    var status = xhr.status;
    if (status === 400 && xhr.getResponseHeader(CSRF_ERROR_HEADER) === "csrf") {
      return "Your session expired — sign in again in another tab, then press Retry here. " +
             "Nothing you typed here is lost.";
    }
    if (status === 401) {
      return "You are signed out — sign in again in another tab, then press Retry here. " +
             "Nothing you typed here is lost.";
    }
    if (status === 403 || status === 404) {
      return "This is no longer available to you (it may have been reassigned). Reload the page.";
    }
    if (status === 409) {
      return "Someone else changed this at the same time. Your text is still here; reload to see theirs.";
    }
    if (status === 413) { return "That was too large to send."; }
    if (status === 422 || status === 400) {
      return xhr.responseText && xhr.responseText.length < 300 ? xhr.responseText : "That could not be saved.";
    }
    return "The server had a problem (error " + status + "). Your last change was not saved; press Retry.";
  }

  /* The database was unavailable: send what failed again after the server's Retry-After, while retries are left.
     Returns the seconds until then, or 0 when the reviewer must press Retry. */
  function scheduleRetry(retryAfter) {
    var seconds = Math.min(Math.max(parseInt(retryAfter, 10) || 5, 1), 60);
    if (autoRetryTimer) { return seconds; }
    if (autoRetriesLeft <= 0) { return 0; }
    autoRetriesLeft -= 1;
    autoRetryTimer = window.setTimeout(function () { autoRetryTimer = null; retryFailed(); }, seconds * 1000);
    return seconds;
  }

  function unavailableMessage(seconds) {
    return seconds
      ? "The database is unavailable for a moment. Your text is kept here and is sent again in " + seconds +
        (seconds === 1 ? " second" : " seconds") + ", or press Retry."
      : "The database is still unavailable. Your text is kept here; press Retry in a little while.";
  }

  function canRetry(status) { return status === 0 || status === 400 || status === 401 || status >= 500; }

  function rememberFailure(detail) {
    var config = detail.requestConfig || {};
    if (!config.verb || !detail.elt) { return; }
    failed = failed.filter(function (f) { return f.elt !== detail.elt; });
    failed.push({ elt: detail.elt, verb: config.verb, path: config.path });
  }

  function refreshToken() {
    return fetch(TOKEN_URL, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          var error = new Error("no fresh token");
          error.status = response.status;
          error.retryAfter = response.headers.get("Retry-After");
          throw error;
        }
        return response.json();
      })
      .then(function (data) {
        var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
        headers["X-CSRFToken"] = data.csrf_token;
        document.body.setAttribute("hx-headers", JSON.stringify(headers));
        document.querySelectorAll("input[name='csrf_token']").forEach(function (input) {
          input.value = data.csrf_token;
        });
      });
  }

  function retryFailed() {
    var toRetry = failed;
    failed = [];
    if (autoRetryTimer) { window.clearTimeout(autoRetryTimer); autoRetryTimer = null; }
    refreshToken().then(function () {
      clearAnnouncement();
      toRetry.forEach(function (f) {
        if (document.body.contains(f.elt)) { htmx.ajax(f.verb, f.path, { source: f.elt }); }
      });
    }).catch(function (error) {
      failed = toRetry.concat(failed);
      if (error.status === 503) { announce(unavailableMessage(scheduleRetry(error.retryAfter)), true); return; }
      announce("You are still signed out. Sign in again in another tab, then press Retry. " +
               "Nothing you typed here is lost.", true);
    });
  }

  /* ---- save regions ---- */

  function regionOf(elt) { return elt && elt.closest ? elt.closest("[data-autosave]") : null; }

  function setSaveState(region, state, retryElt) {
    var box = region && region.querySelector("[data-save-status]");
    if (!box) { return; }
    box.dataset.state = state;
    box.replaceChildren();
    var labels = { saving: "Saving…", saved: "Saved", failed: "Not saved" };
    box.appendChild(document.createTextNode(labels[state] || ""));
    if (state === "failed") {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--quiet";
      button.textContent = "Retry";
      button.addEventListener("click", retryFailed);
      box.appendChild(document.createTextNode(" — "));
      box.appendChild(button);
    }
  }

  function beginSave(elt) {
    var region = regionOf(elt);
    if (!region) { return; }
    pendingByRegion.set(region, (pendingByRegion.get(region) || 0) + 1);
    setSaveState(region, "saving");
  }

  /* outcome: "saved", "failed", "superseded" (as good as saved: this window's newer save is stored)
     or "conflict" (the page script has put its choice in the status box: left alone). */
  function endSave(elt, outcome) {
    var region = regionOf(elt);
    if (!region) { return; }
    var left = Math.max(0, (pendingByRegion.get(region) || 1) - 1);
    pendingByRegion.set(region, left);
    if (outcome === "failed") { setSaveState(region, "failed"); }
    else if (outcome !== "conflict" && left === 0) {
      var box = region.querySelector("[data-save-status]");
      if (!box || box.dataset.state !== "conflict") { setSaveState(region, "saved"); }
    }
  }

  function raiseVersion(elt, version) {
    var form = elt && elt.closest && elt.closest("form[data-version-field]");
    var input = form && form.querySelector("input[name='" + form.dataset.versionField + "']");
    if (input && version !== null && Number(version) > Number(input.value || 0)) { input.value = version; }
  }

  function hasUnsavedWork() {
    if (failed.length) { return true; }
    var busy = false;
    pendingByRegion.forEach(function (count) { if (count > 0) { busy = true; } });
    return busy;
  }

  /* ---- htmx wiring ---- */

  document.addEventListener("htmx:configRequest", function (evt) {
    var form = evt.detail.elt.closest && evt.detail.elt.closest("form[data-seq-field]");
    if (!form || evt.detail.verb === "get") { return; }
    saveNumber += 1;
    evt.detail.parameters[form.dataset.seqField] = String(saveNumber);
  });

  document.addEventListener("htmx:beforeRequest", function (evt) { beginSave(evt.detail.elt); });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var xhr = evt.detail.xhr;
    var outcome = xhr && xhr.getResponseHeader(SAVE_OUTCOME);
    var ok = evt.detail.successful || outcome === "superseded";
    if (evt.detail.successful && xhr) { raiseVersion(evt.detail.elt, xhr.getResponseHeader(SAVE_VERSION)); }
    endSave(evt.detail.elt, outcome === "conflict" ? "conflict" : (ok ? (outcome || "saved") : "failed"));
    if (ok) {
      autoRetriesLeft = AUTO_RETRIES;  // the database answers again: a later outage gets its own retries
      failed = failed.filter(function (f) { return f.elt !== evt.detail.elt; });
      if (!failed.length) { clearAnnouncement(); }
    }
  });

  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    if (canRetry(xhr.status)) { rememberFailure(evt.detail); }
    var waiting = xhr.status === 503 ? scheduleRetry(xhr.getResponseHeader("Retry-After")) : null;
    if (evt.detail.appHandled) { return; }
    announce(waiting === null ? messageFor(xhr) : unavailableMessage(waiting), canRetry(xhr.status));
  });

  function connectionLost(evt) {
    rememberFailure(evt.detail);  // htmx:afterRequest (successful unset) already marked the region failed
    announce("Could not reach the server. Check your connection, then press Retry. " +
             "Nothing you typed here is lost.", true);
  }
  document.addEventListener("htmx:sendError", connectionLost);
  document.addEventListener("htmx:timeout", connectionLost);

  window.addEventListener("beforeunload", function (evt) {
    if (hasUnsavedWork()) { evt.preventDefault(); evt.returnValue = ""; }
  });

  /* ---- wide tables: a frame that scrolls sideways is reachable and scrollable by keyboard ---- */

  function frameLabel(wrap) {
    var caption = wrap.querySelector("caption");
    var section = wrap.closest("section, article");
    var heading = section && section.querySelector("h1, h2, h3");
    var text = (caption && caption.textContent.trim()) || (heading && heading.textContent.trim()) || "Table";
    return text + " (scrolls sideways)";
  }

  function markScrollFrames() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.tabIndex = 0;
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", frameLabel(wrap));
        wrap.dataset.scrollFrame = "";
      } else if ("scrollFrame" in wrap.dataset) {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
        delete wrap.dataset.scrollFrame;
      }
    });
  }

  var resizeTimer = null;
  document.addEventListener("DOMContentLoaded", markScrollFrames);

  /* ---- an outcome the page leads with (a failed import's report) takes the focus ---- */

  document.addEventListener("DOMContentLoaded", function () {
    var outcome = document.querySelector("[data-focus-on-load]");
    if (outcome) { outcome.focus(); }
  });
  document.addEventListener("htmx:afterSettle", markScrollFrames);
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(markScrollFrames, 150);
  });

  window.EndorsementReview = {
    announce: announce,
    clearAnnouncement: clearAnnouncement,
    setSaveState: setSaveState,
    refreshToken: refreshToken,
    retryFailed: retryFailed,
    hasUnsavedWork: hasUnsavedWork
  };
}());
