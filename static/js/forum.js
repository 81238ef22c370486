/* Small, optional helpers for the thread page; everything works without them.
   - Drafts: what you type in a reply survives a reload (kept in this browser).
   - Quote: select a passage of a post, then "Quote" quotes just that passage. */
(function () {
  "use strict";

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  document.querySelectorAll("textarea[data-draft-key]").forEach(function (area) {
    var store = storage();
    if (!store) { return; }
    var key = "draft:" + area.dataset.draftKey;
    var sentKey = key + ":sent";
    var form = area.form;
    var hasError = form && form.querySelector(".has-error");
    if (store.getItem(sentKey) && !hasError) {
      /* The last submit went through: the draft is now a post. */
      store.removeItem(key);
      store.removeItem(sentKey);
    }
    store.removeItem(sentKey);
    var saved = store.getItem(key);
    if (saved && !area.value.trim()) { area.value = saved; }
    var timer = null;
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (area.value.trim()) { store.setItem(key, area.value); } else { store.removeItem(key); }
      }, 400);
    });
    if (form) {
      form.addEventListener("submit", function (event) {
        var submitter = event.submitter;
        if (area.value.trim()) { store.setItem(key, area.value); }
        if (!submitter || submitter.name !== "preview") { store.setItem(sentKey, "1"); }
      });
    }
  });

  var replyArea = document.querySelector(".reply-form textarea");
  var replyTo = document.querySelector(".reply-form input[name=reply_to]");

  /* The passage selected inside a given post, if any. */
  function selectedIn(postId) {
    var selection = window.getSelection ? window.getSelection() : null;
    var text = selection ? String(selection).trim() : "";
    var body = document.querySelector('.post-body[data-post-id="' + postId + '"]');
    if (!text || !body || !selection.anchorNode || !body.contains(selection.anchorNode)) { return ""; }
    return text;
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
      replyArea.dispatchEvent(new Event("input"));
      replyArea.focus();
      replyArea.scrollIntoView({ block: "center" });
    });
  });
})();
