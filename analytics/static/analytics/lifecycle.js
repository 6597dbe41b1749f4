/* The lifecycle page: stage bars sized from data-width, and the moves-per-month chart fed by #lifecycle-chart-data. */
(function () {
  "use strict";
  document.querySelectorAll(".progress-bar[data-width]").forEach(function (bar) {
    bar.style.width = bar.getAttribute("data-width") + "%";
  });
  var source = document.getElementById("lifecycle-chart-data");
  var canvas = document.getElementById("lifecycle-chart");
  if (!source || !canvas || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ["#6c757d", "#0dcaf0", "#198754", "#0d6efd", "#ffc107", "#dc3545"];
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.series.map(function (series, index) {
        return {label: series.label, data: series.data, backgroundColor: palette[index % palette.length]};
      })
    },
    options: {
      responsive: true, animation: false,
      aspectRatio: window.innerWidth < 576 ? 1.1 : 2,  // taller on a phone, so the bars can be read
      scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}},
      plugins: {legend: {position: "bottom"}}
    }
  });
}());
