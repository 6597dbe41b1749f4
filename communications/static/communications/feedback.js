// The feedback panel's copy button: <button data-copy-from="input-id" data-copied-text="...">.
// A static file, because the Content-Security-Policy forbids inline scripts.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-from]");
  if (!button) {
    return;
  }
  const input = document.getElementById(button.dataset.copyFrom);
  input.select();
  const done = () => { button.textContent = button.dataset.copiedText; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, () => { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});
