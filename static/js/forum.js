/* Small, optional helpers; every page works without them.
   - Drafts: what you type in a reply or a new thread survives a reload or a
     failed submit (kept in this browser, per person, until it is posted).
   - Quote: select a passage of a post, then "Quote" quotes just that passage. */
(function () {
  "use strict";

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  var store = storage();
  var signingOut = false;

  /* The server says which draft just became a post. */
  var posted = document.body.dataset.clearDraft;
  if (store && posted) { store.removeItem("draft:" + posted); }

  /* Signing out forgets this person's drafts on a shared computer. */
  document.querySelectorAll("form[data-clears-drafts]").forEach(function (form) {
    form.addEventListener("submit", function () {
      signingOut = true; /* no draft is saved again while the page unloads */
      if (!store) { return; }
      Object.keys(store).forEach(function (key) {
        if (key.indexOf("draft:") === 0) { store.removeItem(key); }
      });
    });
  });

  document.querySelectorAll("textarea[data-draft-key]").forEach(function (area) {
    if (!store) { return; }
    var key = "draft:" + area.dataset.draftKey;
    var saved = store.getItem(key);
    if (saved && saved.trim()) {
      var current = area.value.trim();
      if (!current) {
        area.value = saved;
      } else if (area.dataset.prefilled && saved.indexOf(current) === -1) {
        /* A quote was prefilled: keep what was being written, then the quote. */
        area.value = saved.replace(/\s+$/, "") + "\n\n" + area.value;
      }
    }
    var timer = null;
    function save() {
      if (signingOut) { return; }
      if (area.value.trim()) { store.setItem(key, area.value); } else { store.removeItem(key); }
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(save, 400);
    });
    if (area.form) { area.form.addEventListener("submit", save); }
    window.addEventListener("pagehide", save);
    if (area.value.trim()) { save(); }
  });

  var replyForm = document.querySelector(".reply-form");
  var replyArea = replyForm && replyForm.querySelector("textarea");
  var replyTo = replyForm && replyForm.querySelector("input[name=reply_to]");

  /* The passage selected inside a given post, if any. */
  function selectedIn(postId) {
    var selection = window.getSelection ? window.getSelection() : null;
    var text = selection ? String(selection).trim() : "";
    var body = document.querySelector('.post-body[data-post-id="' + postId + '"]');
    if (!text || !body || !selection.anchorNode || !body.contains(selection.anchorNode)) { return ""; }
    return text;
  }

  function showReplyingTo(name) {
    var note = document.querySelector(".replying-to");
    if (!note) {
      note = document.createElement("p");
      note.className = "replying-to";
      note.setAttribute("role", "status");
      replyForm.parentNode.insertBefore(note, replyForm);
    }
    note.textContent = (replyForm.dataset.replyingLabel || "→ NAME").replace("NAME", name);
  }

  document.querySelectorAll("a.quote-link").forEach(function (link) {
    var pending = "";
    /* A mouse press on the link clears the selection: read it just before. */
    link.addEventListener("mousedown", function () { pending = selectedIn(link.dataset.postId); });
    link.addEventListener("click", function (event) {
      var passage = pending || selectedIn(link.dataset.postId);
      pending = "";
      if (!replyArea || !passage) { return; } /* no selection: the link quotes the whole post */
      event.preventDefault();
      var quoted = passage.split(/\n/).map(function (line) { return "> " + line; }).join("\n");
      var prefix = replyArea.value && !/\n\n$/.test(replyArea.value) ? "\n\n" : "";
      replyArea.value += prefix + quoted + "\n>\n> — " + link.dataset.author + "\n\n";
      if (replyTo) { replyTo.value = link.dataset.postId; }
      showReplyingTo(link.dataset.author);
      replyArea.dispatchEvent(new Event("input"));
      replyArea.focus();
      replyArea.scrollIntoView({ block: "center" });
    });
  });

  /* Webinar countdowns: the server wrote the text; keep it true while the page stays open. */
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var target = Date.parse(el.dataset.countdown);
    var label = el.dataset.label || "{when}";
    if (!window.Intl || !Intl.RelativeTimeFormat || isNaN(target)) { return; }
    var format = new Intl.RelativeTimeFormat(document.documentElement.lang || "es", { numeric: "auto" });
    function tick() {
      var minutes = Math.round((target - Date.now()) / 60000);
      if (minutes <= 0) { el.hidden = true; return; }
      var when = minutes >= 45 * 1440 ? format.format(Math.round(minutes / 43200), "month")
        : minutes >= 2 * 1440 ? format.format(Math.round(minutes / 1440), "day")
        : minutes >= 120 ? format.format(Math.round(minutes / 60), "hour") : format.format(minutes, "minute");
      el.textContent = label.replace("{when}", when);
    }
    tick();
    window.setInterval(tick, 30000);
  });

  /* Visitors who are not signed in: show webinar times in the browser's own time zone. */
  var zoneLabel = document.querySelector("[data-browser-zone]");
  if (zoneLabel && window.Intl && Intl.DateTimeFormat) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var lang = document.documentElement.lang || "es";
    if (zone) {
      document.querySelectorAll("time[data-local-time]").forEach(function (el) {
        var start = new Date(el.getAttribute("datetime"));
        var end = new Date(el.dataset.end);
        var full = new Intl.DateTimeFormat(lang, { dateStyle: "full", timeStyle: "short", timeZone: zone });
        var clock = new Intl.DateTimeFormat(lang, { timeStyle: "short", timeZone: zone });
        if (isNaN(start) || isNaN(end)) { return; }
        var sameDay = start.toLocaleDateString("en", { timeZone: zone }) === end.toLocaleDateString("en", { timeZone: zone });
        el.textContent = full.format(start) + " – " + (sameDay ? clock.format(end) : full.format(end));
      });
      zoneLabel.textContent = zoneLabel.dataset.label.replace("{zone}", zone.replace(/_/g, " "));
    }
  }
})();
