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

  function move(root, evt, extra) {
    const item = evt.item;
    const url = root.dataset.moveUrl.replace(/\/0\/move\/$/, "/" + item.dataset.id + "/move/");
    const fallback = root.dataset.errorMessage;
    item.classList.add("kanban-moving");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: new URLSearchParams({ stage: evt.to.dataset.stage, version: item.dataset.version, ...extra }),
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

  // Dropping into a won or lost stage asks for the result first (a lost reason is required);
  // closing the dialog without saving puts the card back where it was.
  function resultDialog(root) {
    const element = document.getElementById("deal-result-modal");
    if (!element || !window.bootstrap) return null;
    const modal = window.bootstrap.Modal.getOrCreateInstance(element);
    const form = document.getElementById("deal-result-form");
    const reason = form.elements.lost_reason;
    const comment = form.elements.comment;
    let pending = null;
    // Bootstrap ignores hide() while the dialog fades in: a quick Cancel would be lost.
    let opening = false;
    let closeWhenShown = false;

    element.addEventListener("show.bs.modal", () => {
      opening = true;
    });
    element.querySelectorAll("[data-bs-dismiss=modal]").forEach((button) => {
      button.addEventListener("click", () => {
        if (opening) closeWhenShown = true;
      });
    });
    element.addEventListener("hidden.bs.modal", () => {
      if (pending) putBack(pending.evt); // cancelled
      pending = null;
    });
    element.addEventListener("shown.bs.modal", () => {
      opening = false;
      if (closeWhenShown) {
        closeWhenShown = false;
        modal.hide();
        return;
      }
      (pending && pending.kind === "lost" ? reason : comment).focus();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!pending) return;
      const extra = { comment: comment.value };
      if (pending.kind === "lost") {
        if (!reason.value) {
          reason.classList.add("is-invalid");
          reason.focus();
          return;
        }
        extra.lost_reason = reason.value;
      }
      const evt = pending.evt;
      pending = null;
      modal.hide();
      move(root, evt, extra);
    });
    reason.addEventListener("change", () => reason.classList.remove("is-invalid"));

    return function ask(evt, kind) {
      pending = { evt: evt, kind: kind };
      element.querySelectorAll("[data-kind]").forEach((part) => {
        part.hidden = part.dataset.kind !== kind;
      });
      const title = evt.item.querySelector("a");
      element.querySelector("[data-role=deal-title]").textContent = title ? title.textContent : "";
      reason.value = "";
      reason.classList.remove("is-invalid");
      comment.value = "";
      modal.show();
    };
  }

  function init() {
    const root = document.getElementById("kanban");
    if (!root || typeof Sortable === "undefined") return;
    const ask = resultDialog(root);
    root.querySelectorAll(".kanban-drop").forEach((list) => {
      Sortable.create(list, {
        group: "kanban",
        draggable: ".kanban-card[data-movable]",
        sort: false, // the order inside a stage is by last change
        forceFallback: true, // mouse/touch events: the same on every browser and in tests
        fallbackOnBody: true,
        animation: 120,
        ghostClass: "kanban-ghost",
        onAdd: (evt) => {
          const kind = evt.to.dataset.kind;
          if (ask && (kind === "won" || kind === "lost")) ask(evt, kind);
          else move(root, evt, {});
        },
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
