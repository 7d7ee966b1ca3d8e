// Share an event: the phone's share sheet where there is one, else copy the link.
// Progressive enhancement: without JavaScript the page shows the link in a box; with it the
// 分享活动 button replaces the box (which comes back where the phone can neither share nor copy).
(function () {
  var button = document.querySelector("[data-share]");
  if (!button) return;
  var box = document.querySelector(".share-fallback");
  var field = document.getElementById("share-url");
  if (field) field.addEventListener("focus", function () { field.select(); });
  button.hidden = false;
  if (box) box.hidden = true;
  button.addEventListener("click", function () {
    var url = location.href.split("#")[0];
    if (navigator.share) {
      navigator.share({ title: button.dataset.title, url: url }).catch(function () {});
      return;
    }
    var done = function () { button.textContent = button.dataset.copied; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(done, showField);
    } else {
      showField();
    }
    function showField() {
      var box = document.querySelector(".share-fallback");
      var input = document.getElementById("share-url");
      input.value = url;
      box.hidden = false;
      input.select();
    }
  });
})();
