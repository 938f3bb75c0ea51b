// biopilot: a small script of our own. The pages work without it.
"use strict";
(function () {
  // Keep the deadline countdown current. The server computed it (in Beijing time,
  // on its own clock); here we only count down the seconds it gave us.
  var el = document.querySelector(".countdown[data-remaining]");
  if (el) {
    var remaining = parseInt(el.getAttribute("data-remaining"), 10);
    var label = el.textContent.indexOf("地市推荐") >= 0 ? "地市推荐" : "申报";
    var started = Date.now();
    var tick = function () {
      var left = remaining - Math.floor((Date.now() - started) / 1000);
      if (!(remaining > 0)) return;
      if (left <= 0) { el.textContent = label + "已截止"; return; }
      var days = Math.floor(left / 86400), hours = Math.floor((left % 86400) / 3600);
      el.textContent = "距" + label + "截止还有 " + days + " 天 " + hours + " 小时";
    };
    setInterval(tick, 60000);
  }
  // Forms marked data-confirm ask first.
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
})();
