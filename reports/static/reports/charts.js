/* Charts of the dashboards and reports, fed by JSON script tags (json_script): the RM dashboard's
   AUM history and tier split (#dashboard-chart-data), the team dashboard's per-RM bars
   (#team-chart-data) and the AUM report's bars (#aum-chart-data). No inline script: CSP. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") {
    return;
  }
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#d63384", "#0dcaf0",
                 "#ffc107", "#6c757d", "#6610f2", "#212529"];
  var locale = document.documentElement.lang || undefined;

  function read(id) {
    var source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }

  function amount(value) {
    return Number(value).toLocaleString(locale, {maximumFractionDigits: 0});
  }

  function compact(value) {
    return Number(value).toLocaleString(locale, {notation: "compact", maximumSignificantDigits: 4});
  }

  function draw(canvasId, config) {
    var canvas = document.getElementById(canvasId);
    if (!canvas) {
      return;
    }
    config.options = Object.assign({responsive: true, maintainAspectRatio: false, animation: false},
                                   config.options || {});
    canvas.chart = new Chart(canvas, config);
    canvas.setAttribute("data-rendered", "true");
  }

  function moneyTooltip(currency) {
    return {callbacks: {label: function (context) {
      var parsed = context.parsed;
      var value = typeof parsed === "number" ? parsed : (context.chart.options.indexAxis === "y" ? parsed.x : parsed.y);
      var name = typeof parsed === "number" ? context.label : context.dataset.label;
      return name + ": " + amount(value) + " " + currency;
    }}};
  }

  var dashboard = read("dashboard-chart-data");
  if (dashboard) {
    draw("aum-history-chart", {
      type: "line",
      data: {labels: dashboard.history.labels, datasets: [{
        label: dashboard.history.label, data: dashboard.history.values, borderColor: palette[0],
        backgroundColor: "rgba(13, 110, 253, 0.1)", fill: true, tension: 0.2, pointRadius: 3}]},
      options: {plugins: {legend: {display: false}, tooltip: moneyTooltip(dashboard.currency)},
                scales: {y: {ticks: {callback: compact}}}}
    });
    draw("aum-tier-chart", {
      type: "doughnut",
      data: {labels: dashboard.tiers.labels, datasets: [{data: dashboard.tiers.values, backgroundColor: palette}]},
      options: {plugins: {legend: {position: "bottom"}, tooltip: moneyTooltip(dashboard.currency)}}
    });
  }

  var team = read("team-chart-data");
  if (team) {
    draw("team-aum-chart", {
      type: "bar",
      data: {labels: team.labels, datasets: [{label: team.names.aum, data: team.aum, backgroundColor: palette[0]}]},
      options: {indexAxis: "y", plugins: {legend: {display: false}, tooltip: moneyTooltip(team.currency)},
                scales: {x: {ticks: {callback: compact}}}}
    });
    draw("team-workload-chart", {
      type: "bar",
      data: {labels: team.labels, datasets: [
        {label: team.names.clients, data: team.clients, backgroundColor: palette[1]},
        {label: team.names.reviews_due, data: team.reviews_due, backgroundColor: palette[2]},
        {label: team.names.overdue, data: team.overdue, backgroundColor: palette[4]}]},
      options: {indexAxis: "y", plugins: {legend: {position: "bottom"}}}
    });
  }

  var aum = read("aum-chart-data");
  if (aum) {
    draw("aum-report-chart", {
      type: "bar",
      data: {labels: aum.labels, datasets: [{label: aum.label, data: aum.values, backgroundColor: palette[0]}]},
      options: {indexAxis: "y", plugins: {legend: {display: false}, tooltip: moneyTooltip(aum.currency)},
                scales: {x: {ticks: {callback: compact}}}}
    });
  }
})();
