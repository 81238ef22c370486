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
  document.querySelectorAll("a.quote-link").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!replyArea) { return; }
      var selection = window.getSelection ? String(window.getSelection()).trim() : "";
      var body = document.querySelector('.post-body[data-post-id="' + link.dataset.postId + '"]');
      var inside = selection && body && window.getSelection().anchorNode && body.contains(window.getSelection().anchorNode);
      if (!inside) { return; } /* no selection in this post: the link quotes the whole post */
      event.preventDefault();
      var quoted = selection.split(/\n/).map(function (line) { return "> " + line; }).join("\n");
      var prefix = replyArea.value && !/\n\n$/.test(replyArea.value) ? "\n\n" : "";
      replyArea.value += prefix + quoted + "\n>\n> — " + link.dataset.author + "\n\n";
      if (replyTo) { replyTo.value = link.dataset.postId; }
      replyArea.dispatchEvent(new Event("input"));
      replyArea.focus();
      replyArea.scrollIntoView({ block: "center" });
    });
  });
})();
