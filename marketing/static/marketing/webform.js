// Klientura web form: sends the form of the snippet to the CRM and shows its answer.
// Loaded by the company's site (the snippet on the web form's page in Klientura); no dependencies.
(function () {
  "use strict";
  const script = document.currentScript;
  const form = document.getElementById(script.dataset.form);
  if (!form) return;
  const status = form.querySelector("[data-klientura-status]");
  const button = form.querySelector("button[type=submit]");
  const widget = form.querySelector("altcha-widget");
  // Sending waits for the proof-of-work check, which the widget solves as the page loads.
  let verified = !widget;
  button.disabled = !verified;
  if (widget) {
    widget.addEventListener("statechange", (event) => {
      verified = event.detail.state === "verified";
      button.disabled = !verified;
    });
  }
  const say = (text, ok) => {
    status.textContent = text;
    status.style.color = ok ? "" : "#b02a37";
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const query = new URLSearchParams(window.location.search);
    for (const name of ["utm_source", "utm_medium", "utm_campaign"]) {
      if (query.get(name) && !data.get(name)) data.set(name, query.get(name).slice(0, 100));
    }
    if (!verified) return;
    button.disabled = true;
    try {
      const response = await fetch(form.action, { method: "POST", body: data });
      const answer = await response.json();
      if (answer.ok) {
        form.reset();
        say(answer.message, true);
      } else {
        const errors = Object.entries(answer.errors || {}).map(([field, messages]) => {
          const input = form.elements[field];
          const label = input && input.labels && input.labels[0] ? input.labels[0].textContent + ": " : "";
          return label + messages.join(" ");
        });
        say(errors.join(" "), false);
      }
    } catch (error) {
      say(form.dataset.offline || "No connection. Please try again.", false);
    } finally {
      if (widget && typeof widget.reset === "function") {
        // A solved check counts once: the next sending needs a fresh one (the button waits for it).
        verified = false;
        widget.reset();
        widget.verify();
      } else {
        button.disabled = false;
      }
    }
  });
})();
