// The user calendar: drag an event to another day (SortableJS), POST the move, show the result.
// No inline scripts: the CSP forbids them. The CSRF token comes from the body's hx-headers.
(function () {
  "use strict";

  const csrfToken = () => window.Klientura.csrfToken();
  const showAlert = (message, kind) => window.Klientura.showAlert("calendar-alert", message, kind);

  // Keep a day's events in time order after a drop.
  function sortDay(list) {
    Array.from(list.querySelectorAll(":scope > .cal-event"))
      .sort((a, b) => (a.dataset.sort < b.dataset.sort ? -1 : a.dataset.sort > b.dataset.sort ? 1 : 0))
      .forEach((el) => list.appendChild(el));
  }

  function putBack(evt) {
    const before = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, before);
  }

  function move(root, evt) {
    const item = evt.item;
    const body = new URLSearchParams({
      kind: item.dataset.kind,
      id: item.dataset.id,
      version: item.dataset.version,
      date: evt.to.dataset.date,
      view: root.dataset.view,
    });
    const fallback = root.dataset.errorMessage;
    item.classList.add("cal-moving");
    fetch(root.dataset.moveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body,
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
          const fresh = template.content.firstElementChild;
          item.replaceWith(fresh);
          sortDay(evt.to);
          showAlert(result.data.message, "success");
        } else {
          item.classList.remove("cal-moving");
          putBack(evt);
          showAlert(result.data.message || fallback, "danger");
        }
      })
      .catch(() => {
        item.classList.remove("cal-moving");
        putBack(evt);
        showAlert(fallback, "danger");
      });
  }

  function init() {
    const root = document.getElementById("calendar");
    if (root && typeof Sortable !== "undefined" && (root.dataset.view === "week" || root.dataset.view === "month")) {
      root.querySelectorAll(".cal-drop").forEach((list) => {
        Sortable.create(list, {
          group: "calendar",
          draggable: ".cal-event[data-movable]",
          sort: false, // the order inside a day is by time
          forceFallback: true, // mouse/touch events: the same on every browser and in tests
          fallbackOnBody: true,
          animation: 120,
          ghostClass: "cal-ghost",
          onAdd: (evt) => move(root, evt),
        });
      });
    }
    // Filter selects that apply at once (e.g. whose calendar).
    document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
      select.addEventListener("change", () => select.form.submit());
    });
    document.querySelectorAll("[data-copy]").forEach((button) => {
      button.addEventListener("click", () => {
        const input = document.querySelector(button.dataset.copy);
        if (!input) return;
        input.select();
        if (navigator.clipboard) navigator.clipboard.writeText(input.value).catch(() => {});
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
