/* The curation queue without reloads: theme, highlight and suggestion buttons save in place
   (the same forms work without this script, returning to the same post), and the keyboard
   moves between posts and codes them. Shortcuts are listed in the page's help panel. */
(function () {
  "use strict";
  var posts = Array.prototype.slice.call(document.querySelectorAll(".queue-post"));
  if (!posts.length) { return; }
  var current = 0;

  function say(post, message, failed) {
    var status = post.querySelector(".status");
    if (!status) { return; }
    status.textContent = message;
    status.classList.toggle("error", !!failed);
  }

  function flip(form, data) {
    var button = form.querySelector("button");
    var value = form.querySelector("input[name=value]");
    var kind = form.dataset.inplace;
    if (kind === "suggestion") {
      var post = form.closest(".queue-post");
      var themeButton = post.querySelector("form[data-inplace=theme][action='" + form.getAttribute("action") + "'] button");
      if (themeButton) { flip(themeButton.form, data); }
      form.remove();
      return;
    }
    if (kind === "carry" || !value) { return; }
    var on = value.value === "1";
    value.value = on ? "0" : "1";
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.classList.toggle("chip-on", on);
    if (kind === "highlight") { form.closest(".queue-post").classList.toggle("post-highlight", on); }
  }

  function send(form) {
    var post = form.closest(".queue-post");
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok && result.data.ok) { flip(form, result.data); }
      say(post, result.data.message, !result.ok);
    }).catch(function () {
      say(post, document.documentElement.lang === "es" ? "No se pudo guardar: revise la conexión e inténtelo de nuevo."
        : "Could not save: check the connection and try again.", true);
    }).then(function () { button.disabled = false; });
  }

  document.querySelectorAll("form[data-inplace]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(form);
    });
  });

  function focus(index) {
    current = Math.max(0, Math.min(posts.length - 1, index));
    posts[current].focus({ preventScroll: true });
    posts[current].scrollIntoView({ block: "start" });
    posts.forEach(function (p, i) { p.classList.toggle("queue-current", i === current); });
  }

  posts.forEach(function (post, index) {
    post.addEventListener("focusin", function () { current = index; });
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target.matches("input[type=text], input[type=date], textarea, select, [contenteditable]")) { return; }
    var key = event.key;
    var post = posts[current];
    if (key === "j") { focus(current + 1); } else if (key === "k") { focus(current - 1); } else if (key === "?") {
      var help = document.getElementById("shortcuts");
      if (help) { help.open = !help.open; }
    } else if (key === "x") {
      var box = post.querySelector("input[type=checkbox][name=post]");
      if (box) { box.checked = !box.checked; }
    } else {
      var button = post.querySelector("button[data-key='" + key + "']");
      if (!button) { return; }
      send(button.form);
    }
    event.preventDefault();
  });

  var start = posts.findIndex(function (p) { return "#" + p.id === window.location.hash; });
  if (start >= 0) { focus(start); }
})();
