/* The satisfaction page's charts, fed by the JSON in #satisfaction-chart-data: one line per group
   (the first, "all", drawn thicker), months on the x axis, gaps where a month has no answer. */
(function () {
  "use strict";
  var source = document.getElementById("satisfaction-chart-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ["#212529", "#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#d63384",
                 "#0dcaf0", "#ffc107", "#6c757d", "#6610f2"];

  function draw(canvasId, metric, bounds) {
    var canvas = document.getElementById(canvasId);
    if (!canvas) {
      return;
    }
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.months,
        datasets: metric.series.map(function (series, index) {
          return {
            label: series.label,
            data: series.values,
            borderColor: palette[index % palette.length],
            backgroundColor: palette[index % palette.length],
            borderWidth: index === 0 ? 3 : 1.5,
            pointRadius: 3,
            spanGaps: true,
            tension: 0.1
          };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: {intersect: false, mode: "index"},
        scales: {y: bounds},
        plugins: {legend: {position: "bottom", labels: {boxWidth: 12}}}
      }
    });
  }

  draw("nps-chart", data.nps, {suggestedMin: -100, suggestedMax: 100});
  draw("csat-chart", data.csat, {suggestedMin: 1, suggestedMax: 5});
})();
