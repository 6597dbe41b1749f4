// Behaviour shared by every page. The Content-Security-Policy forbids inline scripts and on*=
// attributes, so templates mark elements with data- attributes and this file wires them up.
"use strict";

// <select data-autosubmit>: submit its form on change (the language switcher).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});
