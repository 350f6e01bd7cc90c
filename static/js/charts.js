// Report charts: each <canvas data-chart="ID"> is drawn from the JSON in <script id="ID"
// type="application/json"> (Django's json_script), so no inline JS is needed under the CSP.
// JSON: {type, labels, datasets: [{label, data}], stacked?, max?, suffix?}
(function () {
  "use strict";

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") return;
    const spec = JSON.parse(source.textContent);
    const suffix = spec.suffix || "";
    const valueAxis = {
      beginAtZero: true,
      stacked: Boolean(spec.stacked),
      ticks: { precision: 0, callback: (value) => value + suffix },
    };
    if (spec.max !== undefined) valueAxis.max = spec.max;
    canvas.chart = new window.Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: spec.datasets.map((d) => ({ maxBarThickness: 80, ...d })) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: Boolean(spec.stacked) }, y: valueAxis },
        plugins: {
          legend: { display: spec.datasets.length > 1 },
          tooltip: {
            callbacks: {
              label: (ctx) => `${ctx.dataset.label}: ${ctx.formattedValue}${suffix}`,
            },
          },
        },
      },
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
