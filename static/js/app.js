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

// The navbar: mark the link of the current page (the longest link path that starts the page's path;
// the home link "/" only on the home page itself).
(() => {
  const path = window.location.pathname;
  let best = null;
  document.querySelectorAll(".navbar .navbar-nav a.nav-link[href]").forEach((link) => {
    const target = new URL(link.href, window.location.origin).pathname;
    const matches = target === "/" ? path === "/" : path.startsWith(target);
    if (matches && (!best || target.length > best.target.length)) best = { link, target };
  });
  if (best) {
    best.link.classList.add("active");
    best.link.setAttribute("aria-current", "page");
  }
})();

// The navbar's client search: on focus, the recently viewed clients (JSON, only those still visible).
document.querySelectorAll("input[data-recent-url]").forEach((input) => {
  const menu = input.parentElement.querySelector("[data-recent-menu]");
  if (!menu) return;
  let loaded = false;
  const show = () => { if (menu.childElementCount) menu.classList.add("show"); };
  input.addEventListener("focus", () => {
    if (loaded) { show(); return; }
    fetch(input.dataset.recentUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : { results: [] }))
      .then((data) => {
        loaded = true;
        if (!data.results.length) return;
        const title = document.createElement("h6");
        title.className = "dropdown-header";
        title.textContent = input.dataset.recentTitle;
        menu.appendChild(title);
        data.results.forEach((client) => {
          const item = document.createElement("a");
          item.className = "dropdown-item";
          item.href = client.url;
          item.textContent = `${client.name} · ${client.number}`;
          menu.appendChild(item);
        });
        if (document.activeElement === input) show();
      })
      .catch(() => {});
  });
  input.addEventListener("input", () => menu.classList.toggle("show", !input.value && menu.childElementCount > 0));
  input.addEventListener("blur", () => window.setTimeout(() => menu.classList.remove("show"), 200));
});

// Dates never break at their hyphens (2026-/11-23): each date or date-time in the page's text is
// wrapped in a non-wrapping span. Text only; inputs and scripts are left alone.
(() => {
  const DATE = /\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?/g;
  const HAS_DATE = /\d{4}-\d{2}-\d{2}/;  // no g flag: test() keeps no state between nodes
  const walker = document.createTreeWalker(document.querySelector("main") || document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.parentElement.closest("script, style, textarea, option, .text-nowrap")
      || !HAS_DATE.test(node.nodeValue) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  nodes.forEach((node) => {
    const fragment = document.createDocumentFragment();
    let last = 0;
    node.nodeValue.replace(DATE, (match, offset) => {
      fragment.append(node.nodeValue.slice(last, offset));
      const span = document.createElement("span");
      span.className = "text-nowrap";
      span.textContent = match;
      fragment.append(span);
      last = offset + match.length;
      return match;
    });
    fragment.append(node.nodeValue.slice(last));
    node.replaceWith(fragment);
  });
})();
