// The client review report's Print button (the Content-Security-Policy forbids inline handlers).
"use strict";

document.querySelectorAll("[data-review-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
