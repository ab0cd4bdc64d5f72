// Hygie's only script of its own: behaviour attached by data attributes, so that
// the Content-Security-Policy can forbid every inline script.
"use strict";
document.addEventListener("submit", function (event) {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
