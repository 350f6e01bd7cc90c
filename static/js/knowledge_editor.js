// Rich-text editing of a knowledge-base article: a toolbar over an editable copy of the body.
// The textarea stays the form field: every change is copied back into it, so the form posts
// `body` as before, and without this script the textarea is the editor. The server sanitises
// whatever arrives (knowledge/sanitize.py); the light clean-up here only keeps the editor itself
// from running anything found in a re-shown draft.
(() => {
  "use strict";

  const DROP = "script, style, iframe, object, embed, link, meta, base, form";
  const SAFE_URL = /^(https?:|mailto:|\/(?!\/)|#)/i;

  function cleaned(html) {
    const template = document.createElement("template");
    template.innerHTML = html;  // inert: nothing in a template runs or loads
    template.content.querySelectorAll(DROP).forEach((node) => node.remove());
    template.content.querySelectorAll("*").forEach((node) => {
      for (const attr of [...node.attributes]) {
        const name = attr.name.toLowerCase();
        if (name.startsWith("on") || name === "style"
            || ((name === "href" || name === "src") && !SAFE_URL.test(attr.value.trim()))) {
          node.removeAttribute(attr.name);
        }
      }
    });
    return template.content;
  }

  function init(root) {
    const textarea = document.getElementById(root.dataset.source);
    const area = root.querySelector("[data-editor-area]");
    const toggle = root.querySelector("[data-source-toggle]");
    const buttons = [...root.querySelectorAll("[data-command]")];
    if (!textarea || !area) return;

    // Only an edit rewrites the textarea: the browser's serialisation of untouched HTML may differ
    // in spelling, and an unchanged article must post back unchanged (no new version).
    let dirty = false;
    const load = () => {
      area.replaceChildren(cleaned(textarea.value));
      dirty = false;
    };
    const sync = () => {
      dirty = true;
      // An emptied editor leaves a lone <br> or empty paragraph behind: store nothing then.
      const empty = !area.textContent.trim() && !area.querySelector("img, hr, table");
      textarea.value = empty ? "" : area.innerHTML;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));  // the preview listens
    };
    const showSource = (on) => {
      if (!on) load();
      area.hidden = on;
      textarea.classList.toggle("d-none", !on);
      toggle.setAttribute("aria-pressed", String(on));
      toggle.classList.toggle("active", on);
      buttons.forEach((button) => { button.disabled = on; });
      (on ? textarea : area).focus();
    };
    const refresh = () => {
      if (area.hidden) return;
      const block = (document.queryCommandValue("formatBlock") || "").toLowerCase();
      buttons.forEach((button) => {
        const { command, value } = button.dataset;
        let active = false;
        if (command === "formatBlock") active = value !== "p" && block === value;
        else if (["bold", "italic", "insertUnorderedList", "insertOrderedList"].includes(command)) {
          active = document.queryCommandState(command);
        }
        button.classList.toggle("active", active);
        button.setAttribute("aria-pressed", String(active));
      });
    };

    load();
    root.hidden = false;
    textarea.classList.add("d-none");

    buttons.forEach((button) => {
      // Keep the selection in the text: a click on a button would otherwise take it away.
      button.addEventListener("mousedown", (event) => event.preventDefault());
      button.addEventListener("click", () => {
        const { command } = button.dataset;
        let { value } = button.dataset;
        area.focus();
        if (command === "createLink") {
          value = (window.prompt(button.dataset.prompt || "URL", "https://") || "").trim();
          if (!value || !SAFE_URL.test(value)) return;
        } else if (command === "formatBlock") {
          // A second press on the same heading turns it back into a paragraph.
          const current = (document.queryCommandValue("formatBlock") || "").toLowerCase();
          value = current === value ? "p" : value;
          value = `<${value}>`;
        }
        document.execCommand(command, false, value ?? null);
        sync();
        refresh();
      });
    });
    toggle.addEventListener("click", () => showSource(!area.hidden));

    area.addEventListener("focus", () => {
      // New lines are paragraphs, bold and italic are <b> / <i>: tags the sanitiser keeps.
      document.execCommand("defaultParagraphSeparator", false, "p");
      document.execCommand("styleWithCSS", false, false);
    });
    area.addEventListener("input", sync);
    area.addEventListener("keyup", refresh);
    area.addEventListener("mouseup", refresh);
    area.addEventListener("paste", (event) => {
      // Pasted HTML keeps its structure but loses styles, classes and anything active.
      const html = event.clipboardData && event.clipboardData.getData("text/html");
      if (!html) return;
      event.preventDefault();
      const holder = document.createElement("div");
      holder.append(cleaned(html));
      holder.querySelectorAll("[class], [id]").forEach((node) => {
        node.removeAttribute("class");
        node.removeAttribute("id");
      });
      document.execCommand("insertHTML", false, holder.innerHTML);
    });
    textarea.form.addEventListener("submit", () => { if (dirty && !area.hidden) sync(); });
  }

  document.querySelectorAll("[data-rich-editor]").forEach(init);
})();
