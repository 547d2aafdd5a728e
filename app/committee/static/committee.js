/* Committee forms (final scores, decisions): a refused save is shown in place, never lost.
 *
 * htmx does not swap 4xx answers. For a form marked `data-committee-form`, a 409
 * (someone saved a newer version) or 422 (something to correct) carries the form
 * again with the member's own text and the reason, so it is swapped in like a
 * success; app.js is told the error is handled. After a swap, focus moves to the
 * message so keyboard and screen-reader users hear it.
 */
(function () {
  "use strict";

  // The element that sent the request: htmx sets detail.elt to the element an event fires on, which for
  // htmx:beforeSwap is the swap target (the section around the form), not the form.
  function committeeForm(detail) {
    var elt = detail.requestConfig ? detail.requestConfig.elt : detail.elt;
    return elt && elt.closest ? elt.closest("[data-committee-form]") : null;
  }

  document.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr.status;
    if ((status === 409 || status === 422) && committeeForm(evt.detail)) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // With hx-swap="outerHTML" the target htmx reports is the section that was replaced and is no longer in the
  // page; the new section has its id, so the message is looked up there.
  document.addEventListener("htmx:afterSwap", function (evt) {
    var target = evt.detail.target;
    var root = (target && target.id && document.getElementById(target.id)) || target;
    var message = root && root.querySelector ? root.querySelector("[data-focus-on-swap]") : null;
    if (message) { message.focus(); }
  });
}());
