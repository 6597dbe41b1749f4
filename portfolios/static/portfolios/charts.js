/* Charts of the client portfolio page, fed by the JSON in #portfolio-chart-data. */
(function () {
  "use strict";
  var source = document.getElementById("portfolio-chart-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var styles = getComputedStyle(document.documentElement);
  var colour = function (name, fallback) {
    return styles.getPropertyValue(name).trim() || fallback;
  };
  var primary = colour("--bs-primary", "#0d6efd");
  var danger = colour("--bs-danger", "#dc3545");
  var muted = colour("--bs-secondary", "#6c757d");

  var allocationCanvas = document.getElementById("allocation-chart");
  if (allocationCanvas && data.allocation && data.allocation.labels.length) {
    new Chart(allocationCanvas, {
      type: "bar",
      data: {
        labels: data.allocation.labels,
        datasets: [
          {
            label: data.allocation.actualLabel,
            data: data.allocation.actual.map(Number),
            backgroundColor: data.allocation.outside.map(function (outside) { return outside ? danger : primary; })
          },
          {label: data.allocation.targetLabel, data: data.allocation.target.map(Number), backgroundColor: muted}
        ]
      },
      options: {responsive: true, animation: false, scales: {y: {beginAtZero: true, ticks: {callback: function (v) { return v + "%"; }}}}}
    });
  }

  var aumCanvas = document.getElementById("aum-chart");
  if (aumCanvas && data.aum && data.aum.values.length) {
    new Chart(aumCanvas, {
      type: "line",
      data: {
        labels: data.aum.labels,
        datasets: [{label: data.aum.label, data: data.aum.values.map(Number), borderColor: primary, pointRadius: data.aum.values.length < 3 ? 3 : 0, tension: 0.1}]
      },
      // The axis starts at zero, so a 14 % fall looks like 14 %, not like a crash.
      options: {
        responsive: true, animation: false, interaction: {intersect: false, mode: "index"},
        scales: {y: {beginAtZero: true, title: {display: true, text: data.aum.label}}}
      }
    });
  }

  var returnsCanvas = document.getElementById("returns-chart");
  if (returnsCanvas && data.returns && data.returns.values.length) {
    var returns = data.returns.values.map(function (v) { return v === null ? null : Number(v); });
    new Chart(returnsCanvas, {
      type: "bar",
      data: {
        labels: data.returns.labels,
        // Losses in the muted colour, gains in the primary one: no red/green, which readers take either way.
        datasets: [{label: data.returns.label, data: returns,
                    backgroundColor: returns.map(function (v) { return v !== null && v < 0 ? muted : primary; })}]
      },
      options: {responsive: true, animation: false, plugins: {legend: {display: false}},
                scales: {y: {ticks: {callback: function (v) { return v + "%"; }}}}}
    });
  }
})();
