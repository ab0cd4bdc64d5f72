// WebAuthn glue for allauth's pages, external so that the Content-Security-Policy
// can forbid every inline script.
//
// A page declares what it needs in data blocks, which the browser never executes:
//   <script type="application/json" data-hygie-webauthn="addForm">
//     {"ids": {"add": "...", "credential": "...", "data": "js_data", "error": "..."}}
//   </script>
//   <script type="application/json" id="webauthn-messages">{"default": "...", ...}</script>
// and this file hands the configuration to the function of the same name in
// allauth's own mfa/js/webauthn.js (addForm, authenticateForm, signupForm,
// loginForm), loaded before it. It adds what allauth leaves to the site: a clear
// message when the browser has no WebAuthn, and a French explanation when the
// ceremony fails (allauth only logs it to the console).
"use strict";
(function () {
  function readJSON(element) {
    try {
      return JSON.parse(element.textContent);
    } catch (e) {
      return null;
    }
  }

  function messages() {
    const block = document.getElementById("webauthn-messages");
    return (block && readJSON(block)) || {};
  }

  function show(errorId, text) {
    const box = errorId ? document.getElementById(errorId) : null;
    if (!box) {
      window.alert(text);
      return;
    }
    box.textContent = text;
    box.hidden = false;
  }

  function setUp(block, texts) {
    const name = block.getAttribute("data-hygie-webauthn");
    const config = readJSON(block);
    if (!config || !config.ids) {
      return null;
    }
    const ids = config.ids;
    const button = document.getElementById(ids.add || ids.authenticate || ids.signup || ids.login);
    const forms = window.allauth && window.allauth.webauthn && window.allauth.webauthn.forms;
    let problem = null;
    if (!window.PublicKeyCredential || !navigator.credentials) {
      problem = texts.unsupported || texts.default;
    } else if (!forms || typeof forms[name] !== "function") {
      // allauth's script did not load: say so rather than leave a dead button.
      problem = texts.default;
    }
    if (problem !== null) {
      if (button) {
        button.disabled = true;
      }
      show(ids.error, problem || "WebAuthn");
      return null;
    }
    if (button && ids.error) {
      // A new attempt starts with a clean slate.
      button.addEventListener("click", function () {
        const box = document.getElementById(ids.error);
        if (box) {
          box.hidden = true;
        }
      });
    }
    forms[name](config);
    return ids.error || null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    const texts = messages();
    let errorId = null;
    document.querySelectorAll("script[data-hygie-webauthn]").forEach(function (block) {
      errorId = setUp(block, texts) || errorId;
    });
    // allauth's webauthn.js dispatches this (cancelable) event when the browser
    // refuses or the user cancels; preventDefault stops its console.error.
    document.addEventListener("allauth.error", function (event) {
      const exception = event.detail && event.detail.exception;
      const name = exception && exception.name;
      event.preventDefault();
      show(errorId, texts[name] || texts.default || String(exception));
    });
  });
})();
