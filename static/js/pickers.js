// Searchable pickers (vendored Tom Select). A <select data-picker="client" data-url="…"> searches
// the clients the user may see or edit through crm's JSON endpoint as the user types; the server
// rendered only the chosen ones. A <select data-picker="choices"> (a long, fixed list such as
// staff) becomes a searchable select without a server round trip.
"use strict";

(function () {
  if (typeof TomSelect === "undefined") {
    return;
  }
  document.querySelectorAll("select[data-picker]").forEach((select) => {
    const multiple = select.multiple;
    const settings = {
      plugins: multiple ? ["remove_button"] : [],
      maxOptions: 50,
      placeholder: select.dataset.placeholder || "",
      allowEmptyOption: !multiple,
      closeAfterSelect: !multiple,  // the dropdown would otherwise cover the buttons below
    };
    if (select.dataset.picker === "client") {
      Object.assign(settings, {
        // No blank item: the placeholder says what to type, the × empties a single picker.
        allowEmptyOption: false,
        plugins: multiple ? ["remove_button"] : ["clear_button"],
        valueField: "id",
        labelField: "text",
        searchField: [],  // the server matches names, phones, ID and client numbers
        shouldLoad: (query) => query.trim().length > 0,
        load: (query, callback) => {
          const url = new URL(select.dataset.url, window.location.href);
          url.searchParams.set("q", query);
          fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
            .then((response) => response.json())
            .then((data) => callback(data.results))
            .catch(() => callback());
        },
      });
    }
    new TomSelect(select, settings);
  });
})();
