// Charts of the reports and the dashboard: each <canvas data-chart="ID"> is drawn from the JSON in
// <script id="ID" type="application/json"> (Django's json_script), so no inline JS is needed under the CSP.
// JSON: {type: "bar" | "pie" | "doughnut", labels, datasets: [{label, data}],
//        horizontal?, stacked?, max?, suffix?, money?: currency code of the values,
//        y2?: {max?, suffix?} a second value axis on the right for the datasets with yAxisID "y2"
//        (a dataset may also say type: "line", e.g. a Pareto chart's cumulative share)}
(function () {
  "use strict";

  const locale = document.documentElement.lang || undefined;

  function formatter(spec) {
    const suffix = spec.suffix || "";
    const digits = spec.money ? 2 : 1;
    const number = new Intl.NumberFormat(locale, { minimumFractionDigits: 0, maximumFractionDigits: digits });
    return (value) => (spec.money ? `${number.format(value)} ${spec.money}` : `${number.format(value)}${suffix}`);
  }

  function options(spec) {
    const format = formatter(spec);
    const format2 = spec.y2 ? formatter(spec.y2) : format;
    const round = spec.type === "pie" || spec.type === "doughnut";
    const tooltip = {
      callbacks: {
        label: (ctx) => {
          const value = round ? ctx.parsed : (spec.horizontal ? ctx.parsed.x : ctx.parsed.y);
          const fmt = ctx.dataset.yAxisID === "y2" ? format2 : format;
          return `${round ? ctx.label : ctx.dataset.label}: ${fmt(value)}`;
        },
      },
    };
    const result = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: round || spec.datasets.length > 1, position: round ? "right" : "top" },
        tooltip,
      },
    };
    if (round) return result;
    const valueAxis = {
      beginAtZero: true,
      stacked: Boolean(spec.stacked),
      ticks: { precision: 0, callback: (value) => format(value) },
    };
    if (spec.max !== undefined) valueAxis.max = spec.max;
    const categoryAxis = { stacked: Boolean(spec.stacked) };
    result.indexAxis = spec.horizontal ? "y" : "x";
    result.scales = spec.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis };
    if (spec.y2 && !spec.horizontal) {
      const y2 = {
        position: "right",
        beginAtZero: true,
        grid: { drawOnChartArea: false },
        ticks: { callback: (value) => format2(value) },
      };
      if (spec.y2.max !== undefined) y2.max = spec.y2.max;
      result.scales.y2 = y2;
    }
    return result;
  }

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") return;
    const spec = JSON.parse(source.textContent);
    const bar = (spec.type || "bar") === "bar";
    canvas.chart = new window.Chart(canvas, {
      type: spec.type || "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((d) => (bar && (d.type || "bar") === "bar" ? { maxBarThickness: 80, ...d } : d)),
      },
      options: options(spec),
    });
  }

  function init() {
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      if (!canvas.chart) draw(canvas);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
