// The deals board: drag a card to another stage (SortableJS), POST the move, update the totals.
// No inline scripts: the CSP forbids them. The CSRF token comes from the body's hx-headers.
(function () {
  "use strict";

  const csrfToken = () => window.Klientura.csrfToken();
  const showAlert = (message, kind) => window.Klientura.showAlert("kanban-alert", message, kind);

  function putBack(evt) {
    evt.from.insertBefore(evt.item, evt.from.children[evt.oldIndex] || null);
  }

  function updateTotals(root, totals) {
    root.querySelectorAll(".kanban-drop").forEach((drop) => {
      const header = drop.closest(".kanban-column").querySelector(".kanban-header");
      const total = totals[drop.dataset.stage] || { count: 0, sums: [] };
      header.querySelector("[data-role=count]").textContent = total.count;
      header.querySelector("[data-role=sums]").textContent = total.sums.length ? total.sums.join(", ") : "0";
    });
  }

  function move(root, evt) {
    const item = evt.item;
    const url = root.dataset.moveUrl.replace(/\/0\/move\/$/, "/" + item.dataset.id + "/move/");
    const fallback = root.dataset.errorMessage;
    item.classList.add("kanban-moving");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: new URLSearchParams({ stage: evt.to.dataset.stage, version: item.dataset.version }),
    })
      .then((response) =>
        response.json().then(
          (data) => ({ ok: response.ok, data: data }),
          () => ({ ok: false, data: { message: fallback } })
        )
      )
      .then((result) => {
        if (result.ok && result.data.html) {
          const template = document.createElement("template");
          template.innerHTML = result.data.html.trim();
          item.replaceWith(template.content.firstElementChild);
          updateTotals(root, result.data.totals || {});
          showAlert(result.data.message, "success");
        } else {
          item.classList.remove("kanban-moving");
          putBack(evt);
          showAlert(result.data.message || fallback, "danger");
        }
      })
      .catch(() => {
        item.classList.remove("kanban-moving");
        putBack(evt);
        showAlert(fallback, "danger");
      });
  }

  function init() {
    const root = document.getElementById("kanban");
    if (!root || typeof Sortable === "undefined") return;
    root.querySelectorAll(".kanban-drop").forEach((list) => {
      Sortable.create(list, {
        group: "kanban",
        draggable: ".kanban-card[data-movable]",
        sort: false, // the order inside a stage is by last change
        forceFallback: true, // mouse/touch events: the same on every browser and in tests
        fallbackOnBody: true,
        animation: 120,
        ghostClass: "kanban-ghost",
        onAdd: (evt) => move(root, evt),
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
