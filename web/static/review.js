// REVIEW: the notification bell's unread count in the header.
(function () {
  "use strict";
  var bell = document.querySelector(".rv-bell .rv-count");
  if (!bell) { return; }
  fetch("/api/v1/notifications?unread=1", { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (m) {
      if (m && m.unread > 0) {
        bell.textContent = m.unread > 99 ? "99+" : String(m.unread);
        bell.hidden = false;
      }
    })
    .catch(function () {});
})();
